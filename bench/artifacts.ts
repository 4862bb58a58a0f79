/**
 * Streams a 2 GB artifact through the server's MLflow artifact proxy (upload, then download) and samples the
 * server's RSS meanwhile: memory must stay bounded whatever the file size.
 * Usage: npm run build && npx tsx bench/artifacts.ts [--mb 2048]
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { startBenchServer } from './lib/server.js';

const i = process.argv.indexOf('--mb');
const MB = i >= 0 ? Number(process.argv[i + 1]) : 2048;
const CHUNK = 1 << 20;

function generated(): Readable {
  let sent = 0;
  const block = Buffer.alloc(CHUNK);
  return new Readable({
    read() {
      if (sent === MB) return this.push(null);
      block.writeUInt32LE(sent, 0); // every chunk differs, so the digest checks order and completeness
      sent++;
      this.push(Buffer.from(block));
    },
  });
}

const dir = mkdtempSync(join(tmpdir(), 'slipway-art-'));
const server = await startBenchServer(['--home', join(dir, 'home')]);
try {
  const idle = server.rssMb();
  let peak = idle;
  const sampler = setInterval(() => (peak = Math.max(peak, server.rssMb())), 100);
  const path = '/api/2.0/mlflow-artifacts/artifacts/0/bench/artifacts/big.bin';
  const sent = createHash('sha256');
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const req = http.request(`${server.url}${path}`, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`upload ${res.statusCode}`))));
    });
    req.on('error', reject);
    const body = generated();
    body.on('data', (c: Buffer) => sent.update(c));
    body.pipe(req);
  });
  const up = (performance.now() - t0) / 1000;
  const received = createHash('sha256');
  let bytes = 0;
  const t1 = performance.now();
  await new Promise<void>((resolve, reject) => {
    http.get(`${server.url}${path}`, (res) => {
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        received.update(c);
      });
      res.on('end', resolve);
      res.on('error', reject);
    });
  });
  const down = (performance.now() - t1) / 1000;
  clearInterval(sampler);
  const same = sent.digest('hex') === received.digest('hex') && bytes === MB * CHUNK;
  console.log(`artifact ${MB} MB      : upload ${(MB / up).toFixed(0)} MB/s, download ${(MB / down).toFixed(0)} MB/s, digest ${same ? 'matches' : 'DIFFERS'}`);
  console.log(`server RSS          : idle ${idle.toFixed(0)} MB, peak ${peak.toFixed(0)} MB during the transfers`);
  if (!same) process.exitCode = 1;
} finally {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
