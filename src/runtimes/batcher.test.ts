import { afterEach, describe, expect, it } from 'vitest';
import { invalid, SlipwayError } from '../core/errors.js';
import { mulberry32 } from '../stats/random.js';
import { withDynamicBatching } from './batcher.js';
import type { Column, Frame } from './frame.js';
import { logisticRegression } from './onnx/builder.js';
import { openOnnxWorkerRuntime } from './onnx/pool.js';
import { openOnnxRuntime } from './onnx/runtime.js';
import type { ModelRuntime, Predictions, RuntimeInput } from './types.js';

const num = (values: number[]): Column => ({ kind: 'number', values: Float64Array.from(values) });
const str = (values: (string | null)[]): Column => ({ kind: 'string', values });
const frameOf = (cols: Record<string, Column>): Frame => {
  const columns = new Map(Object.entries(cols));
  return { rows: columns.values().next().value!.values.length, columns };
};

/**
 * A regressor that predicts a + 10·b (b optional text → its length), recording the rows of every call; `fail`
 * makes a call throw (a function of the frame).
 */
function fakeRuntime(options: { fail?: (frame: Frame) => Error | null; inputs?: RuntimeInput[]; classifier?: boolean } = {}) {
  const calls: number[] = [];
  let closed = false;
  const inputs = options.inputs ?? [{ name: 'a', type: 'number' }];
  const rt: ModelRuntime & { calls: number[]; readonly closed: boolean } = {
    kind: 'onnx',
    inputs,
    calls,
    get closed() {
      return closed;
    },
    async predict(frame: Frame): Promise<Predictions> {
      calls.push(frame.rows);
      await new Promise((r) => setTimeout(r, 1));
      const err = options.fail?.(frame);
      if (err) throw err;
      const a = frame.columns.get('a')!;
      const b = frame.columns.get('b');
      const value = new Float64Array(frame.rows);
      for (let r = 0; r < frame.rows; r++) {
        const x = a.kind === 'number' ? a.values[r]! : NaN;
        const y = !b ? 0 : b.kind === 'string' ? (b.values[r]?.length ?? -1) : b.values[r]!;
        value[r] = x + 10 * y;
      }
      if (!options.classifier) return { rows: frame.rows, value };
      const proba = new Float64Array(frame.rows * 2);
      const labelIndex = new Int32Array(frame.rows);
      for (let r = 0; r < frame.rows; r++) {
        proba[2 * r] = value[r]!;
        proba[2 * r + 1] = -value[r]!;
        labelIndex[r] = value[r]! > 0 ? 0 : 1;
      }
      return { rows: frame.rows, classes: ['p', 'n'], proba, labelIndex };
    },
    async close() {
      closed = true;
    },
  };
  return rt;
}

const open: ModelRuntime[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((rt) => rt.close()));
});

describe('withDynamicBatching', () => {
  it('concatenates concurrent calls into one and splits the predictions back per caller', async () => {
    const inner = fakeRuntime({ classifier: true });
    const rt = withDynamicBatching(inner, { maxBatchRows: 64, maxDelayMs: 5 });
    open.push(rt);
    expect(rt.kind).toBe('onnx');
    expect(rt.inputs).toBe(inner.inputs);
    const frames = Array.from({ length: 10 }, (_, i) => frameOf({ a: num(Array.from({ length: 1 + (i % 3) }, (_, r) => i * 100 + r)), extra: str(['x', 'y', 'z'].slice(0, 1 + (i % 3))) }));
    const got = await Promise.all(frames.map((f) => rt.predict(f)));
    expect(inner.calls).toEqual([frames.reduce((n, f) => n + f.rows, 0)]);
    got.forEach((p, i) => {
      const a = (frames[i]!.columns.get('a') as { values: Float64Array }).values;
      expect(p.rows).toBe(a.length);
      expect(p.classes).toEqual(['p', 'n']);
      expect(Array.from(p.proba!)).toEqual(Array.from(a).flatMap((x) => [x, -x]));
      expect(Array.from(p.labelIndex!)).toEqual(Array.from(a, (x) => (x > 0 ? 0 : 1)));
      // Each caller owns its arrays.
      expect(p.proba!.buffer.byteLength).toBe(a.length * 2 * 8);
    });
  });

  it('honours maxBatchRows: no batch beyond it, a big frame alone', async () => {
    const inner = fakeRuntime();
    const rt = withDynamicBatching(inner, { maxBatchRows: 8, maxDelayMs: 50 });
    open.push(rt);
    const sizes = [3, 3, 3, 1, 4, 2, 20, 5, 5];
    const frames = sizes.map((n, i) => frameOf({ a: num(Array.from({ length: n }, (_, r) => i + r / 100)) }));
    const started = performance.now();
    const got = await Promise.all(frames.map((f) => rt.predict(f)));
    got.forEach((p, i) => expect(p.value).toEqual((frames[i]!.columns.get('a') as { values: Float64Array }).values));
    // 3+3 (a third 3 would overflow) | 3+1+4 (full: goes at once) | 20 alone | 2+5 | 5 (timer)
    expect(inner.calls.slice().sort((x, y) => x - y)).toEqual([5, 6, 7, 8, 20]);
    expect(Math.max(...inner.calls.filter((n) => n !== 20))).toBeLessThanOrEqual(8);
    expect(performance.now() - started).toBeGreaterThanOrEqual(40); // the last, lone batch waited for company
  });

  it('fails every caller of a failing batch with its error, and only that batch', async () => {
    const boom = new SlipwayError('UNAVAILABLE', 'model server down');
    const inner = fakeRuntime({ fail: (f) => ((f.columns.get('a') as { values: Float64Array }).values.includes(13) ? boom : null) });
    const rt = withDynamicBatching(inner, { maxBatchRows: 4, maxDelayMs: 5 });
    open.push(rt);
    const results = await Promise.allSettled([11, 12, 13, 14, 15, 16].map((x) => rt.predict(frameOf({ a: num([x]) }))));
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected', 'rejected', 'fulfilled', 'fulfilled']);
    for (const r of results.slice(0, 4)) expect((r as PromiseRejectedResult).reason).toBe(boom);
    expect(inner.calls).toEqual([4, 2]);
  });

  it('fails only the offending callers when a batch is invalid, and validates each frame on its own', async () => {
    const inner = fakeRuntime({ fail: (f) => ((f.columns.get('a') as { values: Float64Array }).values.includes(1.5) ? invalid('a value of 1.5 cannot be fed') : null) });
    const rt = withDynamicBatching(inner, { maxBatchRows: 64, maxDelayMs: 5 });
    open.push(rt);
    const results = await Promise.allSettled([
      rt.predict(frameOf({ a: num([1]) })),
      rt.predict(frameOf({ a: num([1.5, 2]) })),
      rt.predict(frameOf({ nope: num([1]) })), // missing column: rejected before queueing
      rt.predict(frameOf({ a: num([3]) })),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect(((results[1] as PromiseRejectedResult).reason as SlipwayError).message).toMatch(/1\.5/);
    expect(((results[2] as PromiseRejectedResult).reason as SlipwayError).message).toMatch(/lacks the column the model reads: a/);
    expect((results[3] as PromiseFulfilledResult<Predictions>).value.value).toEqual(Float64Array.from([3]));
    expect(inner.calls).toEqual([4, 1, 2, 1]);
  });

  it('concatenates text and all-null columns as the runtimes read them', async () => {
    const inner = fakeRuntime({ inputs: [{ name: 'a', type: 'number' }, { name: 'b', type: 'string' }] });
    const rt = withDynamicBatching(inner, { maxDelayMs: 5 });
    open.push(rt);
    const [p1, p2, p3] = await Promise.all([
      rt.predict(frameOf({ a: num([1, 2]), b: str(['xy', null]) })),
      rt.predict(frameOf({ a: str([null]), b: str(['abc']) })), // all-null text for a number input: missing
      rt.predict(frameOf({ a: num([5]), b: num([1234]) })), // numbers for a text input: as text
    ]);
    expect(inner.calls).toEqual([4]);
    expect(Array.from(p1!.value!)).toEqual([21, -8]);
    expect(Array.from(p2!.value!)).toEqual([NaN]);
    expect(Array.from(p3!.value!)).toEqual([45]);
  });

  it('eager: a lone call goes at once; calls arriving during a batch go together when it finishes', async () => {
    const inner = fakeRuntime();
    const rt = withDynamicBatching(inner, { maxBatchRows: 64, maxDelayMs: 10_000, eager: true });
    open.push(rt);
    const first = rt.predict(frameOf({ a: num([1]) }));
    const rest = [2, 3, 4].map((x) => rt.predict(frameOf({ a: num([x]) })));
    expect((await first).value).toEqual(Float64Array.from([1]));
    expect((await Promise.all(rest)).map((p) => p.value![0])).toEqual([2, 3, 4]);
    expect(inner.calls).toEqual([1, 3]);
  });

  it('gives the numbers of the runtime it wraps (in process and on a worker) for 100 parallel callers', async () => {
    const names = ['x0', 'x1', 'x2'];
    const bytes = logisticRegression({ featureNames: names, classes: [0, 1], coefficients: [0.5, -1, 2], intercepts: [0.1] });
    const plain = await openOnnxRuntime(bytes);
    open.push(plain);
    const rng = mulberry32(9);
    const frames = Array.from({ length: 100 }, (_, i) => frameOf(Object.fromEntries(names.map((n) => [n, num(Array.from({ length: 1 + (i % 4) }, () => rng() * 4 - 2))]))));
    const expected = await Promise.all(frames.map((f) => plain.predict(f)));
    for (const inner of [await openOnnxRuntime(bytes), await openOnnxWorkerRuntime(bytes)]) {
      const rt = withDynamicBatching(inner, { maxBatchRows: 32, maxDelayMs: 2 });
      open.push(rt);
      expect(rt.info).toEqual(plain.info);
      const got = await Promise.all(frames.map((f) => rt.predict(f)));
      got.forEach((p, i) => {
        expect(p.proba).toEqual(expected[i]!.proba);
        expect(p.labelIndex).toEqual(expected[i]!.labelIndex);
        expect(p.classes).toEqual(expected[i]!.classes);
      });
    }
  });

  it('close() sends what is queued, waits for it, then closes the runtime', async () => {
    const inner = fakeRuntime();
    const rt = withDynamicBatching(inner, { maxDelayMs: 10_000 });
    const p = rt.predict(frameOf({ a: num([7]) }));
    await rt.close();
    expect(inner.closed).toBe(true);
    expect((await p).value).toEqual(Float64Array.from([7]));
    await expect(rt.predict(frameOf({ a: num([1]) }))).rejects.toThrow(/closed/);
    expect(() => withDynamicBatching(inner, { maxBatchRows: 0 })).toThrow(/maxBatchRows/);
  });
});
