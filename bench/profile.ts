/**
 * Dataset profiling throughput: generates a CSV of N rows x 20 columns (12 numeric, 8 string-like), then measures
 *  1. a plain line count over the file (read stream + newline scan): the I/O floor, and
 *  2. csv-parse alone (records counted, nothing else): the parser's own floor, for context, and
 *  3. profileFile (digest + UTF-8 check + CSV parse + type inference + sketches) over the same file,
 * printing rows/s for both, their ratio, and the peak RSS while profiling (sampled every 20 ms).
 * Usage: npx tsx bench/profile.ts [--rows 1000000]
 */
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parse } from 'csv-parse';
import { mulberry32 } from '../src/stats/random.js';
import { profileFile } from '../src/tracking/datasets/profile.js';

const i = process.argv.indexOf('--rows');
const ROWS = i >= 0 ? Number(process.argv[i + 1]) : 1_000_000;
const mb = (b: number) => (b / 2 ** 20).toFixed(0);

async function generate(path: string): Promise<void> {
  const rng = mulberry32(1);
  const out = createWriteStream(path);
  const numeric = Array.from({ length: 12 }, (_, c) => `n${c}`);
  out.write(['id', ...numeric, 'city', 'device', 'user', 'flag', 'ts', 'label', 'comment'].join(',') + '\n');
  const cities = ['paris', 'oslo', 'lima', 'rome', 'kyiv', 'quito', 'accra', 'hanoi'];
  let buf = '';
  for (let r = 0; r < ROWS; r++) {
    const cells: (string | number)[] = [r];
    for (let c = 0; c < 12; c++) {
      const x = rng();
      // Alternate integer and float columns, with a few missing cells.
      cells.push(x < 0.01 ? '' : c % 2 === 0 ? Math.floor(x * 10_000) : (x * 1000 - 300).toFixed(4));
    }
    cells.push(
      cities[Math.floor(rng() * cities.length)]!,
      rng() < 0.7 ? 'mobile' : 'desktop',
      `u${Math.floor(rng() * 100_000)}`,
      rng() < 0.5 ? 'true' : 'false',
      new Date(1_700_000_000_000 + r * 1000).toISOString(),
      `L${Math.floor(rng() * 50)}`,
      rng() < 0.1 ? '"has, a comma"' : 'plain text',
    );
    buf += cells.join(',') + '\n';
    if (buf.length > 1 << 20) {
      if (!out.write(buf)) await once(out, 'drain');
      buf = '';
    }
  }
  out.end(buf);
  await once(out, 'finish');
}

async function countLines(path: string): Promise<number> {
  let n = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    for (let j = chunk.indexOf(10); j !== -1; j = chunk.indexOf(10, j + 1)) n++;
  }
  return n;
}

async function parseOnly(path: string): Promise<number> {
  let n = 0;
  await pipeline(createReadStream(path, { highWaterMark: 1 << 20 }), parse(), async (records: AsyncIterable<string[]>) => {
    for await (const _ of records) n++;
  });
  return n - 1;
}

const dir = mkdtempSync(join(tmpdir(), 'slipway-profile-bench-'));
try {
  const path = join(dir, 'data.csv');
  let t = performance.now();
  await generate(path);
  const size = statSync(path).size;
  console.log(`generated ${ROWS.toLocaleString()} rows x 20 columns, ${mb(size)} MiB in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  t = performance.now();
  const lines = await countLines(path);
  const floorS = (performance.now() - t) / 1000;
  console.log(`line count (I/O floor): ${(lines - 1).toLocaleString()} rows in ${floorS.toFixed(2)} s = ${Math.round((lines - 1) / floorS).toLocaleString()} rows/s`);

  t = performance.now();
  const parsed = await parseOnly(path);
  const parseS = (performance.now() - t) / 1000;
  console.log(`csv-parse alone:        ${parsed.toLocaleString()} rows in ${parseS.toFixed(2)} s = ${Math.round(parsed / parseS).toLocaleString()} rows/s`);

  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  let peak = rssBefore;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  t = performance.now();
  const profile = await profileFile(path);
  const profileS = (performance.now() - t) / 1000;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  console.log(`profileFile:            ${profile.rowCount.toLocaleString()} rows in ${profileS.toFixed(2)} s = ${Math.round(profile.rowCount / profileS).toLocaleString()} rows/s (${(size / 2 ** 20 / profileS).toFixed(0)} MiB/s)`);
  console.log(`ratio profile / floor:  ${((floorS / profileS) * 100).toFixed(1)}% (of the line count), ${((parseS / profileS) * 100).toFixed(0)}% (of csv-parse alone)`);
  console.log(`RSS: ${mb(rssBefore)} MiB before, peak ${mb(peak)} MiB while profiling (+${mb(peak - rssBefore)} MiB) for a ${mb(size)} MiB file`);
  console.log(`schema: ${profile.schema.map((f) => `${f.name}:${f.type}`).join(' ')}`);
  const n1 = profile.profile.find((c) => c.name === 'n1')!;
  console.log(`n1: mean ${n1.mean?.toFixed(3)} std ${n1.std?.toFixed(3)} p50 ${n1.quantiles?.p50} missing ${(n1.missingShare * 100).toFixed(2)}%; user distinct ≈ ${profile.profile.find((c) => c.name === 'user')!.distinct}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
