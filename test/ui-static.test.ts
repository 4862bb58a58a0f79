import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openArtifactStore } from '../src/artifacts/store.js';
import { buildApp, type App } from '../src/server/app.js';
import { ensureDefaultExperiment } from '../src/tracking/experiments.js';
import { testDialect, testStore, type TestStore } from './db.js';

const INDEX = '<!doctype html><html><body><div id="root"></div><script type="module" src="/assets/app-abc123.js"></script></body></html>';

describe(`web UI static files (${testDialect})`, () => {
  let store: TestStore;
  let uiRoot: string;
  let emptyRoot: string;
  const apps: App[] = [];

  const appWith = async (root: string | null, auth = false): Promise<App> => {
    const artifacts = await openArtifactStore(join(store.dir, 'artifacts'));
    const app = await buildApp({ database: store.database, artifacts, auth, uiRoot: root });
    apps.push(app);
    return app;
  };

  beforeAll(async () => {
    store = await testStore();
    await ensureDefaultExperiment(store.database.db);
    uiRoot = mkdtempSync(join(tmpdir(), 'slipway-ui-'));
    mkdirSync(join(uiRoot, 'assets'));
    writeFileSync(join(uiRoot, 'index.html'), INDEX);
    writeFileSync(join(uiRoot, 'assets', 'app-abc123.js'), 'console.log("ui")');
    writeFileSync(join(uiRoot, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    emptyRoot = mkdtempSync(join(tmpdir(), 'slipway-noui-'));
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await store.cleanup();
    rmSync(uiRoot, { recursive: true, force: true });
    rmSync(emptyRoot, { recursive: true, force: true });
  });

  it('serves index.html at / and for client-side routes, and the API keeps its JSON', async () => {
    const app = await appWith(uiRoot);
    for (const url of ['/', '/runs/abc', '/experiments/1', '/models/churn/versions/3', '/compare?runs=a,b']) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type'], url).toMatch(/^text\/html/);
      expect(res.body, url).toBe(INDEX);
    }
    const api = await app.inject({ url: '/api/v1/experiments' });
    expect(api.statusCode).toBe(200);
    expect(api.headers['content-type']).toMatch(/^application\/json/);
    expect(api.json().experiments.map((e: { name: string }) => e.name)).toContain('Default');
    expect((await app.inject({ url: '/health' })).body).toBe('OK');
  });

  it('serves built assets, and keeps 404s for unknown API paths and missing assets', async () => {
    const app = await appWith(uiRoot);
    const js = await app.inject({ url: '/assets/app-abc123.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toMatch(/javascript/);
    expect(js.headers['cache-control']).toMatch(/immutable/);
    expect((await app.inject({ url: '/favicon.svg' })).headers['content-type']).toMatch(/svg/);
    expect((await app.inject({ url: '/assets/gone-123.js' })).statusCode).toBe(404);

    const native = await app.inject({ url: '/api/v1/no-such-thing' });
    expect(native.statusCode).toBe(404);
    expect(native.json().error.code).toBe('NOT_FOUND');
    const mlflow = await app.inject({ url: '/api/2.0/mlflow/no-such-thing' });
    expect(mlflow.statusCode).toBe(404);
    expect(mlflow.json().error_code).toBe('ENDPOINT_NOT_FOUND');
    expect((await app.inject({ method: 'POST', url: '/runs/abc' })).statusCode).toBe(404);

    const escape = await app.inject({ url: '/..%2f..%2fpackage.json' });
    expect(escape.body).not.toContain('"dependencies"');
  });

  it('serves the page without a token when auth is on, but not the data', async () => {
    const app = await appWith(uiRoot, true);
    const page = await app.inject({ url: '/runs/abc' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toBe(INDEX);
    expect((await app.inject({ url: '/api/v1/experiments' })).statusCode).toBe(401);
  });

  it('says how to build the UI when it is missing, and still starts', async () => {
    for (const root of [emptyRoot, null]) {
      const app = await appWith(root);
      const res = await app.inject({ url: '/' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      expect(res.body).toContain('npm run build');
      expect((await app.inject({ url: '/api/v1/experiments' })).statusCode).toBe(200);
    }
  });
});
