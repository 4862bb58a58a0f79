import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * How to start a worker thread whose module sits next to the caller: `name` is the module's file name without its
 * extension, `here` the caller's `import.meta.url`.
 *
 * Compiled (dist/**.js): the `.js` file. From TypeScript sources (vitest, tsx): Node 20 does not apply ESM loader
 * hooks given through a Worker's execArgv (`--import tsx` fails with ERR_UNKNOWN_FILE_EXTENSION, nodejs/node#47747),
 * so a one-line eval'd bootstrap imports the `.ts` file through tsx's `tsImport` (ESM, a loader scoped to that
 * import). tsx's CommonJS API is the fallback; it works too but runs transpiled code somewhat slower.
 */
export function workerEntry(here: string, name: string): { script: URL | string; eval: boolean } {
  if (here.endsWith('.js')) return { script: new URL(`./${name}.js`, here), eval: false };
  const req = createRequire(here);
  const target = new URL(`./${name}.ts`, here);
  try {
    const pkgPath = req.resolve('tsx/package.json');
    const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { exports?: Record<string, { import?: { default?: string } }> };
    const rel = pkg.exports?.['./esm/api']?.import?.default;
    if (typeof rel === 'string') {
      const api = new URL(rel, pathToFileURL(pkgPath)).href;
      const script =
        `import(${JSON.stringify(api)}).then((m) => m.tsImport(${JSON.stringify(target.href)}, ${JSON.stringify(here)}))` +
        `.catch((err) => { setImmediate(() => { throw err; }); });`;
      return { script, eval: true };
    }
  } catch {
    // fall through to the CommonJS API
  }
  const api = req.resolve('tsx/cjs/api');
  const path = fileURLToPath(target);
  return { script: `require(${JSON.stringify(api)}).require(${JSON.stringify(path)}, ${JSON.stringify(path)});`, eval: true };
}
