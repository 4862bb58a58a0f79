import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
// `slipway server` during `vite` dev; the built UI is served by the server itself from dist/ui.
const api = process.env.SLIPWAY_URL ?? 'http://127.0.0.1:7380';

export default defineConfig({
  root: here('.'),
  publicDir: here('public'),
  resolve: { alias: { '@slipway/client': here('../src/client/index.ts') } },
  // React's automatic JSX runtime through esbuild: no Babel plugin needed for a production build.
  esbuild: { jsx: 'automatic' },
  build: {
    outDir: here('../dist/ui'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    chunkSizeWarningLimit: 800,
  },
  server: {
    proxy: Object.fromEntries(['/api', '/ajax-api', '/get-artifact', '/health', '/version'].map((p) => [p, api])),
  },
});
