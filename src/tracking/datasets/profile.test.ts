import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, describe, expect, it } from 'vitest';
import { SlipwayError } from '../../core/errors.js';
import { mulberry32 } from '../../stats/random.js';
import { profileFile, type ColumnProfile, type DatasetProfile } from './profile.js';
import { Utf8Validator } from './utf8.js';

const dir = mkdtempSync(join(tmpdir(), 'slipway-profile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** A generated table whose exact statistics the tests compute independently. */
const N = 20_000;
const rng = mulberry32(7);
const rows = Array.from({ length: N }, (_, i) => ({
  id: i + 1,
  x: Math.round((rng() * 200 - 50) * 1e6) / 1e6,
  city: ['paris', 'oslo', 'lima', 'rome'][i % 10 < 5 ? 0 : i % 10 < 8 ? 1 : i % 10 < 9 ? 2 : 3]!,
  ok: i % 3 === 0,
  at: new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString(),
  note: i % 10 === 0 ? null : `n${i % 7}`,
}));
const csv = ['id,x,city,ok,at,note', ...rows.map((r) => `${r.id},${r.x},${r.city},${r.ok},${r.at},${r.note ?? ''}`)].join('\n') + '\n';
const jsonl = rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

function exact(xs: number[]) {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / xs.length);
  return { min: Math.min(...xs), max: Math.max(...xs), mean, std, sorted: Float64Array.from(xs).sort() };
}

function col(p: DatasetProfile, name: string): ColumnProfile {
  return p.profile.find((c) => c.name === name)!;
}

async function failure(path: string, format?: 'csv' | 'jsonl'): Promise<SlipwayError> {
  const err = await profileFile(path, format ? { format } : {}).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SlipwayError);
  expect((err as SlipwayError).code).toBe('INVALID_ARGUMENT');
  return err as SlipwayError;
}

function checkTable(p: DatasetProfile, bytes: Buffer) {
  expect(p.digest).toBe(createHash('sha256').update(bytes).digest('hex'));
  expect(p.sizeBytes).toBe(bytes.length);
  expect(p.rowCount).toBe(N);
  expect(p.schema).toEqual([
    { name: 'id', type: 'integer', nullable: false },
    { name: 'x', type: 'float', nullable: false },
    { name: 'city', type: 'string', nullable: false },
    { name: 'ok', type: 'boolean', nullable: false },
    { name: 'at', type: 'datetime', nullable: false },
    { name: 'note', type: 'string', nullable: true },
  ]);
  for (const [name, values] of [
    ['id', rows.map((r) => r.id)],
    ['x', rows.map((r) => r.x)],
  ] as const) {
    const c = col(p, name);
    const e = exact(values);
    expect(c.min).toBe(e.min);
    expect(c.max).toBe(e.max);
    expect(c.mean).toBeCloseTo(e.mean, 9);
    expect(c.std).toBeCloseTo(e.std, 9);
    // KLL's documented rank error for k = 200 is about 1.3%: each estimate must sit within that many ranks.
    const q = c.quantiles!;
    for (const [p01, v] of [[0.01, q.p01], [0.05, q.p05], [0.25, q.p25], [0.5, q.p50], [0.75, q.p75], [0.95, q.p95], [0.99, q.p99]] as const) {
      const rank = e.sorted.findIndex((s) => s >= v);
      expect(Math.abs(rank - p01 * N) / N).toBeLessThanOrEqual(0.0133);
    }
  }
  expect(col(p, 'id').distinct).toBeGreaterThan(N * 0.95);
  const city = col(p, 'city');
  expect(city.topCategories).toEqual([
    { value: 'paris', count: N / 2, share: 0.5 },
    { value: 'oslo', count: (N * 3) / 10, share: 0.3 },
    { value: 'lima', count: N / 10, share: 0.1 },
    { value: 'rome', count: N / 10, share: 0.1 },
  ]);
  expect(city.distinct).toBe(4);
  expect(col(p, 'ok').topCategories?.map((t) => [t.value, t.count])).toEqual([
    ['false', N - Math.ceil(N / 3)],
    ['true', Math.ceil(N / 3)],
  ]);
  expect(col(p, 'at')).toMatchObject({ min: rows[0]!.at, max: rows[N - 1]!.at, missing: 0 });
  expect(col(p, 'note')).toMatchObject({ missing: N / 10, missingShare: 0.1, count: N - N / 10, distinct: 7 });
}

describe('profileFile', () => {
  it('profiles a CSV file: digest, rows, schema, exact moments, quantiles within the sketch error, categories', async () => {
    const path = file('table.csv', csv);
    const progress: number[] = [];
    const p = await profileFile(path, { onProgress: (bytes, total) => progress.push(bytes / total) });
    expect(p.format).toBe('csv');
    checkTable(p, readFileSync(path));
    expect(progress.at(-1)).toBe(1);
  });

  it('profiles the same table as JSON Lines with the same results', async () => {
    const path = file('table.jsonl', jsonl);
    const p = await profileFile(path);
    expect(p.format).toBe('jsonl');
    checkTable(p, readFileSync(path));
  });

  it('infers types from values on a tiny reference file, with missing values and quoted fields', async () => {
    const p = await profileFile(file('tiny.csv', '\ufeffa,b,c,d,e\n2,"x, y",1.5,TRUE,\n4,x,2,false,\n4,"say ""hi""",,true,\n4,z,3e2,false,\n5,x,-1,true,\n7,x,0,false,\n9,q,1,true,\n4,x,1,false,\n'));
    expect(p.schema.map((f) => [f.name, f.type, f.nullable])).toEqual([
      ['a', 'integer', false],
      ['b', 'string', false],
      ['c', 'float', true],
      ['d', 'boolean', false],
      ['e', 'null', true],
    ]);
    // a = 2,4,4,4,5,7,9,4: mean 39/8, population std computed by hand.
    const a = col(p, 'a');
    const mean = 39 / 8;
    expect(a).toMatchObject({ min: 2, max: 9, mean, count: 8, missing: 0 });
    expect(a.std).toBeCloseTo(Math.sqrt([2, 4, 4, 4, 5, 7, 9, 4].reduce((s, x) => s + (x - mean) ** 2, 0) / 8), 12);
    expect(a.quantiles).toMatchObject({ p01: 2, p50: 4, p99: 9 });
    expect(col(p, 'b').topCategories?.slice(0, 2)).toEqual([
      { value: 'x', count: 4, share: 4 / 8 },
      { value: 'q', count: 1, share: 1 / 8 },
    ]);
    expect(col(p, 'b').topCategories?.map((t) => t.value)).toContain('say "hi"');
    expect(col(p, 'c')).toMatchObject({ min: -1, max: 300, missing: 1, missingShare: 1 / 8 });
    expect(col(p, 'e')).toMatchObject({ type: 'null', missing: 8, missingShare: 1 });
  });

  it('treats a column with any text as string and mixed numbers/booleans as string; JSON keys may be absent', async () => {
    const crlf = await profileFile(file('crlf.csv', 'a,b\r\n1,"x\r\ny"\r\n2,z\r\n'));
    expect(crlf.schema.map((f) => [f.name, f.type])).toEqual([['a', 'integer'], ['b', 'string']]);
    expect(crlf.rowCount).toBe(2);
    const p = await profileFile(file('mixed.csv', 'a,b\n1,1\n2,true\nthree,2\n'));
    expect(p.schema.map((f) => f.type)).toEqual(['string', 'string']);
    const j = await profileFile(file('sparse.jsonl', '{"a":1}\r\n\n{"b":"2024-05-01"}\n{"a":2,"c":{"k":1}}'));
    expect(j.rowCount).toBe(3);
    expect(j.schema).toEqual([
      { name: 'a', type: 'integer', nullable: true },
      { name: 'b', type: 'datetime', nullable: true },
      { name: 'c', type: 'string', nullable: true },
    ]);
    expect(col(j, 'a')).toMatchObject({ missing: 1, mean: 1.5 });
  });

  it('profiles the same table as Parquet, over several row groups', async () => {
    const buffer = Buffer.from(
      parquetWriteBuffer({
        columnData: [
          { name: 'id', data: rows.map((r) => r.id), type: 'INT32' },
          { name: 'x', data: rows.map((r) => r.x), type: 'DOUBLE' },
          { name: 'city', data: rows.map((r) => r.city), type: 'STRING' },
          { name: 'ok', data: rows.map((r) => r.ok), type: 'BOOLEAN' },
          { name: 'at', data: rows.map((r) => new Date(r.at)), type: 'TIMESTAMP' },
          { name: 'note', data: rows.map((r) => r.note), type: 'STRING', nullable: true },
        ],
        rowGroupSize: 6000,
      }),
    );
    const path = file('table.parquet', buffer);
    let last = 0;
    const p = await profileFile(path, { onProgress: (bytes) => (last = bytes) });
    expect(p.format).toBe('parquet');
    expect(last).toBe(buffer.length);
    checkTable(p, buffer);
  });

  it('accepts a multi-byte character split across read chunks', async () => {
    // '€' (3 bytes) starts one byte before the 1 MiB chunk boundary.
    const filler = 'x'.repeat((1 << 20) - 1 - 2 - 1);
    const p = await profileFile(file('split.csv', `a\n${filler}\n€\n`));
    expect(p.rowCount).toBe(2);
    expect(col(p, 'a').topCategories?.map((t) => t.value)).toContain('€');
  });
});

describe('profileFile rejects bad input with the line and the fix', () => {
  it('empty and blank files', async () => {
    expect((await failure(file('empty.csv', ''))).message).toMatch(/empty\.csv is empty; a dataset needs a header row and at least one row$/);
    expect((await failure(file('empty.jsonl', ''))).message).toMatch(/empty\.jsonl is empty; a dataset needs at least one row$/);
    await expect(profileFile(join(dir, 'missing.csv'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await failure(file('blank.csv', '\n\n'))).message).toMatch(/no header row/);
    expect((await failure(file('blank.jsonl', '\n \n'))).message).toMatch(/no JSON lines/);
  });

  it('ragged CSV rows', async () => {
    const err = await failure(file('ragged.csv', 'a,b,c\n1,2,3\n4,5\n'));
    expect(err.message).toBe('line 3: expected 3 columns like the header, found 2; fix the row, or quote fields that contain commas');
    expect(err.details).toMatchObject({ line: 3, expected: 3, found: 2 });
    expect((await failure(file('ragged2.csv', 'a,b\n1,2\n3,4\n5,6,7\n'))).message).toMatch(/^line 4: expected 2 columns like the header, found 3/);
  });

  it('bad CSV quoting', async () => {
    expect((await failure(file('q1.csv', 'a,b\n1,2\n3,x"y"\n'))).message).toMatch(/^line 3: bad quoting .*double any quote/);
    expect((await failure(file('q2.csv', 'a,b\n1,"x"y\n'))).message).toMatch(/^line 2: bad quoting/);
    const unclosed = await failure(file('q3.csv', 'a,b\n1,2\n3,"never closed\n4,5\n6,7\n'));
    expect(unclosed.message).toMatch(/^line 3: a quoted field in the record starting on this line is never closed \(the file ends inside it at line 5\)/);
  });

  it('invalid UTF-8, including across a chunk boundary and at the end of the file', async () => {
    const latin1 = Buffer.concat([Buffer.from('a,b\n1,ok\n2,caf'), Buffer.from([0xe9]), Buffer.from('\n')]);
    expect((await failure(file('latin1.csv', latin1))).message).toMatch(/^line 3: the file is not valid UTF-8 \(invalid byte at offset 14\); re-save/);
    const filler = 'x'.repeat((1 << 20) - 1 - 2 - 1);
    const broken = Buffer.concat([Buffer.from(`a\n${filler}\n`), Buffer.from([0xe2, 0x82]), Buffer.from('x\n')]);
    expect((await failure(file('broken.csv', broken))).message).toMatch(/^line 3: the file is not valid UTF-8/);
    const truncated = Buffer.concat([Buffer.from('{"a":1}\n{"a":"'), Buffer.from([0xe2, 0x82])]);
    expect((await failure(file('trunc.jsonl', truncated))).message).toMatch(/^line 2: the file ends in the middle of a UTF-8 character/);
  });

  it('invalid JSON lines and lines that are not objects', async () => {
    expect((await failure(file('bad.jsonl', '{"a":1}\n\n{"a":2,}\n'))).message).toMatch(/^line 3: invalid JSON \(.*\); each line must be one complete JSON object$/);
    expect((await failure(file('arr.jsonl', '{"a":1}\n[1,2]\n'))).message).toMatch(/^line 2: expected a JSON object, got an array/);
  });

  it('duplicate header names, unknown extensions and files that are not Parquet', async () => {
    expect((await failure(file('dup.csv', 'a,b,a\n1,2,3\n'))).message).toMatch(/^line 1: the header names column "a" twice/);
    expect((await failure(file('data.txt', 'a\n1\n'))).message).toMatch(/pass format 'csv', 'jsonl' or 'parquet'$/);
    expect((await profileFile(file('data.txt', 'a\n1\n'), { format: 'csv' })).rowCount).toBe(1);
    expect((await failure(file('data.parquet', 'PAR1 but not really'))).message).toMatch(/data\.parquet is not a readable Parquet file/);
  });
});

describe('Utf8Validator', () => {
  it('accepts every split of valid multi-byte text and finds the bad line in every split of invalid text', () => {
    const good = Buffer.from('a€\nb𝄞c\nß\n');
    const bad = Buffer.concat([Buffer.from('a€\nb\n'), Buffer.from([0xf0, 0x9d, 0x41]), Buffer.from('\n')]);
    for (let cut = 0; cut <= good.length; cut++) {
      const v = new Utf8Validator();
      expect(v.push(good.subarray(0, cut)) + v.push(good.subarray(cut)) + v.end()).toBe(good.toString());
    }
    for (let cut = 0; cut <= bad.length; cut++) {
      const v = new Utf8Validator();
      expect(() => {
        v.push(bad.subarray(0, cut));
        v.push(bad.subarray(cut));
        v.end();
      }).toThrow(/^line 3: the file is not valid UTF-8/);
    }
  });
});
