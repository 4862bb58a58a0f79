import { afterEach, describe, expect, it } from 'vitest';
import { SlipwayError } from '../../core/errors.js';
import { mulberry32 } from '../../stats/random.js';
import { sliceFrame, type Column, type Frame } from '../frame.js';
import type { ModelRuntime } from '../types.js';
import { linearRegressor, logisticRegression, treeEnsembleClassifier, treeEnsembleRegressor, type Tree } from './builder.js';
import { openOnnxWorkerRuntime, runningOnnxWorkers } from './pool.js';
import { onnx } from './proto.js';
import { openOnnxRuntime } from './runtime.js';

const num = (values: number[] | Float64Array): Column => ({ kind: 'number', values: Float64Array.from(values) });
const str = (values: (string | null)[]): Column => ({ kind: 'string', values });
const frameOf = (cols: Record<string, Column>): Frame => {
  const columns = new Map(Object.entries(cols));
  return { rows: columns.values().next().value!.values.length, columns };
};

const F = 8;
const names = Array.from({ length: F }, (_, f) => `f${f}`);

function randomFrame(rows: number, seed = 1): Frame {
  const rng = mulberry32(seed);
  return frameOf(Object.fromEntries(names.map((n) => [n, num(Float64Array.from({ length: rows }, () => rng() * 4 - 2))])));
}

function randomTrees(count: number, depth: number, seed: number, classes = 2): Tree[] {
  const rng = mulberry32(seed);
  return Array.from({ length: count }, () => {
    const nodes: Tree['nodes'] = [];
    const grow = (d: number): number => {
      const i = nodes.length;
      if (d === depth) {
        nodes.push({ leaf: classes > 2 ? Array.from({ length: classes }, () => rng() / count) : rng() / count });
        return i;
      }
      nodes.push({ leaf: 0 });
      const left = grow(d + 1);
      const right = grow(d + 1);
      nodes[i] = { feature: Math.floor(rng() * F), threshold: rng() * 2 - 1, left, right };
      return i;
    };
    grow(0);
    return { nodes };
  });
}

const logistic = logisticRegression({
  featureNames: names,
  classes: ['no', 'yes'],
  coefficients: names.map((_, f) => (f % 2 ? 1 : -1) * (0.25 + f / 10)),
  intercepts: [0.3],
});
const forest = treeEnsembleClassifier({ featureNames: names, classes: [3, 5, 7], trees: randomTrees(40, 5, 7, 3) });

const open: ModelRuntime[] = [];
async function track<T extends ModelRuntime>(p: Promise<T>): Promise<T> {
  const rt = await p;
  open.push(rt);
  return rt;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((rt) => rt.close()));
});

describe('openOnnxWorkerRuntime', () => {
  it.each([
    ['logistic regression', logistic],
    ['tree ensemble (3 classes)', forest],
  ])('gives the in-process numbers, inputs and info for a %s', async (_, bytes) => {
    const inProcess = await track(openOnnxRuntime(bytes));
    const worker = await track(openOnnxWorkerRuntime(bytes, { threads: 2 }));
    expect(worker.kind).toBe('onnx');
    expect(worker.threads).toBe(2);
    expect(worker.inputs).toEqual(inProcess.inputs);
    expect(worker.info).toEqual(inProcess.info);
    const frame = randomFrame(5000, 3);
    // NaNs and a column the model does not read, which stays behind.
    (frame.columns.get('f2') as { values: Float64Array }).values[17] = NaN;
    frame.columns.set('id', str(Array.from({ length: 5000 }, (_, i) => `r${i}`)));
    const a = await inProcess.predict(frame);
    const b = await worker.predict(frame);
    expect(b).toEqual(a);
    expect(b.proba).toBeInstanceOf(Float64Array);
    expect(b.labelIndex).toBeInstanceOf(Int32Array);
    // The caller's arrays are untouched (copied, not transferred away).
    expect((frame.columns.get('f0') as { values: Float64Array }).values.length).toBe(5000);
    // A slice (views into the frame's buffers) gives the same numbers as the in-process runtime on the slice.
    expect(await worker.predict(sliceFrame(frame, 100, 164))).toEqual(await inProcess.predict(sliceFrame(frame, 100, 164)));
    expect(await worker.predict(sliceFrame(frame, 0, 0))).toEqual(await inProcess.predict(sliceFrame(frame, 0, 0)));
  });

  it('gives regression values identical to the in-process runtime, and takes string columns', async () => {
    const bytes = linearRegressor({ featureNames: ['a', 'b'], coefficients: [2, 3], intercept: 1 });
    const worker = await track(openOnnxWorkerRuntime(bytes));
    const inProcess = await track(openOnnxRuntime(bytes));
    // An all-null text column is all missing.
    const frame = frameOf({ b: num([2, -1, 0]), a: str([null, null, null]) });
    const p = await worker.predict(frame);
    expect(p).toEqual(await inProcess.predict(frame));
    expect(Array.from(p.value!)).toEqual([NaN, NaN, NaN]);
    expect((await worker.predict(frameOf({ a: num([1, 0.5]), b: num([2, -1]) }))).value).toEqual(Float64Array.from([9, -1]));
  });

  it('answers 100 parallel predicts each with its own rows, spread over the threads', async () => {
    const worker = await track(openOnnxWorkerRuntime(forest, { threads: 3 }));
    const inProcess = await track(openOnnxRuntime(forest));
    const frames = Array.from({ length: 100 }, (_, i) => randomFrame(1 + (i % 7) * 13, 100 + i));
    const got = await Promise.all(frames.map((f) => worker.predict(f)));
    for (let i = 0; i < frames.length; i++) expect(got[i]).toEqual(await inProcess.predict(frames[i]!));
  });

  it('fails bad inputs with the same coded errors, before sending anything', async () => {
    const worker = await track(openOnnxWorkerRuntime(logistic));
    const inProcess = await track(openOnnxRuntime(logistic));
    const bad = frameOf({ f0: num([1]), g1: num([2]) });
    const e1 = await worker.predict(bad).catch((e: unknown) => e);
    const e2 = await inProcess.predict(bad).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(SlipwayError);
    expect((e1 as SlipwayError).code).toBe('INVALID_ARGUMENT');
    expect((e1 as SlipwayError).message).toBe((e2 as SlipwayError).message);
    expect((e1 as SlipwayError).details).toEqual((e2 as SlipwayError).details);
    // Still serving afterwards.
    expect((await worker.predict(randomFrame(3))).rows).toBe(3);
  });

  it('sends string columns and brings back errors raised on the worker as the same SlipwayError', async () => {
    // city (string) → CategoryMapper → int64, + count (int64) → Cast float. The int64 check happens on the worker.
    const vi = (name: string, elemType: number) => ({ name, type: { tensorType: { elemType, shape: { dim: [{ dimParam: 'N' }, { dimValue: 1 }] } } } });
    const T = onnx.TensorProto.DataType;
    const A = onnx.AttributeProto.AttributeType;
    const bytes = onnx.ModelProto.encode({
      irVersion: 8,
      opsetImport: [
        { domain: '', version: 17 },
        { domain: 'ai.onnx.ml', version: 3 },
      ],
      graph: {
        name: 'typed',
        input: [vi('city', T.STRING), vi('count', T.INT64)],
        output: [vi('variable', T.FLOAT)],
        node: [
          {
            opType: 'CategoryMapper',
            domain: 'ai.onnx.ml',
            input: ['city'],
            output: ['city_id'],
            attribute: [
              { name: 'cats_strings', type: A.STRINGS, strings: ['oslo', 'lima'].map((c) => new TextEncoder().encode(c)) },
              { name: 'cats_int64s', type: A.INTS, ints: [10, 20] },
              { name: 'default_int64', type: A.INT, i: 0 },
            ],
          },
          { opType: 'Add', input: ['city_id', 'count'], output: ['sum'] },
          { opType: 'Cast', input: ['sum'], output: ['variable'], attribute: [{ name: 'to', type: A.INT, i: T.FLOAT }] },
        ],
      },
    }).finish();
    const inProcess = await track(openOnnxRuntime(bytes));
    const worker = await track(openOnnxWorkerRuntime(bytes));
    expect(worker.inputs).toEqual(inProcess.inputs);
    const frame = frameOf({ count: num([1, 2, 3]), city: str(['lima', 'oslo', null]) });
    const p = await worker.predict(frame);
    expect(p).toEqual(await inProcess.predict(frame));
    expect(Array.from(p.value!)).toEqual([21, 12, 3]);
    const e = await worker.predict(frameOf({ count: num([1.5]), city: str(['lima']) })).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(SlipwayError);
    expect((e as SlipwayError).code).toBe('INVALID_ARGUMENT');
    expect((e as Error).message).toMatch(/value of 1\.5 cannot be fed to the model's int64 input "count"/);
  });

  it('rejects a model it cannot open with the in-process error, leaving no worker behind', async () => {
    const before = runningOnnxWorkers();
    // One [N, F] tensor and no feature names: cannot be fed from named columns.
    const m = onnx.ModelProto.decode(logistic);
    m.metadataProps = [];
    const bytes = onnx.ModelProto.encode(m).finish();
    const e1 = await openOnnxRuntime(bytes).catch((e: unknown) => e);
    const e2 = await openOnnxWorkerRuntime(bytes, { threads: 2 }).catch((e: unknown) => e);
    expect(e2).toBeInstanceOf(SlipwayError);
    expect((e2 as SlipwayError).code).toBe('INVALID_ARGUMENT');
    expect((e2 as Error).message).toBe((e1 as Error).message);
    await expect.poll(() => runningOnnxWorkers()).toBe(before);
    await expect(openOnnxWorkerRuntime(logistic, { threads: 0 })).rejects.toThrow(/threads must be a positive integer/);
  });

  it('close() terminates the workers; predicts after it fail', async () => {
    const before = runningOnnxWorkers();
    const worker = await openOnnxWorkerRuntime(logistic, { threads: 3 });
    expect(runningOnnxWorkers()).toBe(before + 3);
    await worker.predict(randomFrame(10));
    await worker.close();
    expect(runningOnnxWorkers()).toBe(before);
    await expect(worker.predict(randomFrame(1))).rejects.toThrow(/closed/);
    await worker.close(); // idempotent
  });

  it('sends a request to an idle thread rather than behind a long one', async () => {
    const heavy = treeEnsembleRegressor({ featureNames: names, trees: randomTrees(150, 8, 12) });
    const worker = await track(openOnnxWorkerRuntime(heavy, { threads: 2 }));
    const order: string[] = [];
    const long = worker.predict(randomFrame(30_000, 4)).then(() => order.push('long'));
    const short = worker.predict(randomFrame(1, 5)).then(() => order.push('short'));
    await Promise.all([long, short]);
    expect(order).toEqual(['short', 'long']);
  });

  it('keeps the event loop responsive while a heavy model runs on a worker', async () => {
    const rng = mulberry32(5);
    const heavy = treeEnsembleRegressor({ featureNames: names, trees: randomTrees(150, 8, 11) });
    const worker = await track(openOnnxWorkerRuntime(heavy));
    const rows = 50_000;
    const frame = frameOf(Object.fromEntries(names.map((n) => [n, num(Float64Array.from({ length: rows }, () => rng() * 4 - 2))])));
    // In process, the loop is blocked for the whole run: a 5 ms interval ticks at most once or twice.
    let ticks = 0;
    const interval = setInterval(() => ticks++, 5);
    const started = performance.now();
    const p = await worker.predict(frame);
    const elapsed = performance.now() - started;
    clearInterval(interval);
    expect(p.rows).toBe(rows);
    // On a worker it keeps ticking (at least a quarter of the ticks the elapsed time allows, and several).
    expect(ticks).toBeGreaterThanOrEqual(5);
    expect(ticks).toBeGreaterThanOrEqual(Math.floor(elapsed / 5 / 4));
  });
});
