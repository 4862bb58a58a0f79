import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { SlipwayError } from '../../core/errors.js';
import { mulberry32 } from '../../stats/random.js';
import {
  linearRegressor,
  logisticRegression,
  treeEnsembleClassifier,
  treeEnsembleRegressor,
  type BranchNode,
  type LeafNode,
  type Tree,
} from './builder.js';
import { readOnnxModelInfo } from './model-info.js';

const f32 = Math.fround;
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** N rows × F features of float32-representable values in [-2, 2), with a few exact threshold hits. */
function data(N: number, F: number, seed = 1): Float32Array {
  const rng = mulberry32(seed);
  const x = new Float32Array(N * F);
  for (let i = 0; i < x.length; i++) x[i] = rng() < 0.05 ? 0.5 : rng() * 4 - 2;
  return x;
}

async function run(bytes: Uint8Array, x: Float32Array, N: number, F: number): Promise<ort.InferenceSession.ReturnType> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    return await session.run({ input: new ort.Tensor('float32', x, [N, F]) });
  } finally {
    await session.release();
  }
}

/** The test's own reading of a tree description: which leaf a row lands in. */
function leafOf(tree: Tree, row: Float32Array, names: string[]): LeafNode {
  let n = tree.nodes[0]!;
  while (!('leaf' in n)) {
    const b: BranchNode = n;
    const x = row[typeof b.feature === 'number' ? b.feature : names.indexOf(b.feature)]!;
    const t = f32(b.threshold);
    const left = Number.isNaN(x) ? b.missing === 'left' : b.mode === 'BRANCH_LT' ? x < t : x <= t;
    n = tree.nodes[left ? b.left : b.right]!;
  }
  return n;
}

/** A random full binary tree of the given depth over F features. */
function randomTree(rng: () => number, F: number, depth: number, leaf: () => number | number[]): Tree {
  const nodes: Tree['nodes'] = [];
  const grow = (d: number): number => {
    const i = nodes.length;
    if (d === depth) {
      nodes.push({ leaf: leaf() });
      return i;
    }
    nodes.push({ feature: 0, threshold: 0, left: 0, right: 0 });
    const left = grow(d + 1);
    const right = grow(d + 1);
    nodes[i] = { feature: Math.floor(rng() * F), threshold: f32(rng() * 3 - 1.5), left, right, missing: rng() < 0.5 ? 'left' : 'right' };
    return i;
  };
  grow(0);
  return { nodes };
}

describe('linearRegressor', () => {
  it('predicts w·x + b from one [N, F] tensor', async () => {
    const F = 5;
    const N = 200;
    const w = [0.5, -1.25, 2, 0, 3.5];
    const bytes = linearRegressor({ featureNames: ['a', 'b', 'c', 'd', 'e'], coefficients: w, intercept: -0.75 });
    const x = data(N, F);
    const out = await run(bytes, x, N, F);
    const y = out.variable!;
    expect(y.dims).toEqual([N, 1]);
    for (let r = 0; r < N; r++) {
      let z = -0.75;
      for (let f = 0; f < F; f++) z += w[f]! * x[r * F + f]!;
      expect((y.data as Float32Array)[r]).toBeCloseTo(z, 4);
    }
  });

  it('takes one [N, 1] input per feature, named after it, when asked', async () => {
    const bytes = linearRegressor({ featureNames: ['age', 'income'], coefficients: [2, 3], intercept: 1, perFeatureInputs: true });
    const session = await ort.InferenceSession.create(bytes);
    expect(session.inputNames).toEqual(['age', 'income']);
    const out = await session.run({
      age: new ort.Tensor('float32', new Float32Array([1, 0.5, 0]), [3, 1]),
      income: new ort.Tensor('float32', new Float32Array([2, -1, 0]), [3, 1]),
    });
    expect(Array.from(out.variable!.data as Float32Array)).toEqual([9, -1, 1]);
    await session.release();
  });

  it('records the feature names in metadata_props', () => {
    const info = readOnnxModelInfo(linearRegressor({ featureNames: ['x1', 'x2'], coefficients: [1, 2], intercept: 0, metadata: { owner: 'me' } }));
    expect(info.metadata['slipway.features']).toBe('["x1","x2"]');
    expect(info.features).toEqual(['x1', 'x2']);
    expect(info.metadata.owner).toBe('me');
    expect(info.opsets).toEqual({ '': 17, 'ai.onnx.ml': 3 });
  });

  it('rejects inconsistent parameters', () => {
    expect(() => linearRegressor({ featureNames: ['a', 'b'], coefficients: [1], intercept: 0 })).toThrow(/1 coefficients for 2 features/);
    expect(() => linearRegressor({ featureNames: ['a', 'a'], coefficients: [1, 1], intercept: 0 })).toThrow(/duplicate feature/);
    expect(() => linearRegressor({ featureNames: [], coefficients: [], intercept: 0 })).toThrow(SlipwayError);
    expect(() => linearRegressor({ featureNames: ['a'], coefficients: [NaN], intercept: 0 })).toThrow(/finite/);
  });
});

describe('logisticRegression', () => {
  it('binary: one coefficient row, probabilities [1 - p, p] with p = sigmoid(w·x + b), integer labels', async () => {
    const F = 4;
    const N = 300;
    const w = [1.5, -2, 0.25, 0.75];
    const b = 0.3;
    const bytes = logisticRegression({ featureNames: ['a', 'b', 'c', 'd'], classes: [0, 1], coefficients: w, intercepts: [b] });
    const x = data(N, F, 2);
    const out = await run(bytes, x, N, F);
    const proba = out.probabilities!.data as Float32Array;
    const label = out.label!.data as BigInt64Array;
    expect(out.probabilities!.dims).toEqual([N, 2]);
    expect(out.label!.type).toBe('int64');
    for (let r = 0; r < N; r++) {
      let z = b;
      for (let f = 0; f < F; f++) z += w[f]! * x[r * F + f]!;
      const p = sigmoid(z);
      expect(proba[2 * r + 1]).toBeCloseTo(p, 5);
      expect(proba[2 * r]).toBeCloseTo(1 - p, 5);
      if (Math.abs(z) > 1e-4) expect(label[r]).toBe(z > 0 ? 1n : 0n);
    }
  });

  it('binary with string labels', async () => {
    const bytes = logisticRegression({ featureNames: ['a', 'b'], classes: ['no', 'yes'], coefficients: [[1, -1]], intercepts: [0.5] });
    const out = await run(bytes, new Float32Array([1, 2, 0.5, -1]), 2, 2);
    expect(out.label!.data).toEqual(['no', 'yes']);
    expect((out.probabilities!.data as Float32Array)[1]).toBeCloseTo(sigmoid(-0.5), 6);
    expect((out.probabilities!.data as Float32Array)[3]).toBeCloseTo(sigmoid(2), 6);
  });

  it('multiclass: softmax over one row per class', async () => {
    const F = 3;
    const N = 200;
    const W = [
      [1, 0, -1],
      [0, 2, 0.5],
      [-1, -1, 1],
      [0.3, 0.3, 0.3],
    ];
    const B = [0, 0.1, -0.2, 0.4];
    const classes = [3, 5, 8, 13];
    const bytes = logisticRegression({ featureNames: ['a', 'b', 'c'], classes, coefficients: W, intercepts: B });
    const x = data(N, F, 3);
    const out = await run(bytes, x, N, F);
    const proba = out.probabilities!.data as Float32Array;
    const label = out.label!.data as BigInt64Array;
    for (let r = 0; r < N; r++) {
      const z = W.map((row, k) => B[k]! + row.reduce((s, wf, f) => s + wf * x[r * F + f]!, 0));
      const m = Math.max(...z);
      const e = z.map((v) => Math.exp(v - m));
      const sum = e.reduce((s, v) => s + v, 0);
      e.forEach((v, k) => expect(proba[r * 4 + k]).toBeCloseTo(v / sum, 5));
      const best = z.indexOf(m);
      if (z.filter((v) => m - v < 1e-4).length === 1) expect(label[r]).toBe(BigInt(classes[best]!));
    }
  });

  it('rejects rows that do not match the classes and mixed labels', () => {
    expect(() => logisticRegression({ featureNames: ['a'], classes: [0, 1, 2], coefficients: [[1], [2]], intercepts: [0, 0] })).toThrow(/2 coefficient rows for 3 classes/);
    expect(() => logisticRegression({ featureNames: ['a'], classes: [0, 'x'], coefficients: [1], intercepts: [0] })).toThrow(/all integers or all strings/);
    expect(() => logisticRegression({ featureNames: ['a'], classes: [0.5, 1], coefficients: [1], intercepts: [0] })).toThrow(/integers/);
    expect(() => logisticRegression({ featureNames: ['a'], classes: [1, 1], coefficients: [1], intercepts: [0] })).toThrow(/distinct/);
  });
});

describe('treeEnsembleRegressor', () => {
  it('sums (or averages) leaf values over random trees, sending NaN where each node says', async () => {
    const F = 6;
    const N = 500;
    const names = ['f0', 'f1', 'f2', 'f3', 'f4', 'f5'];
    const rng = mulberry32(7);
    const trees = Array.from({ length: 8 }, () => randomTree(rng, F, 4, () => f32(rng() * 10 - 5)));
    const x = data(N, F, 4);
    for (let i = 0; i < x.length; i += 37) x[i] = NaN;
    for (const aggregate of ['SUM', 'AVERAGE'] as const) {
      const out = await run(treeEnsembleRegressor({ featureNames: names, trees, aggregate, baseValue: 0.5 }), x, N, F);
      const y = out.variable!.data as Float32Array;
      for (let r = 0; r < N; r++) {
        const row = x.subarray(r * F, r * F + F);
        const sum = trees.reduce((s, t) => s + (leafOf(t, row, names).leaf as number), 0);
        expect(y[r]).toBeCloseTo((aggregate === 'SUM' ? sum : sum / trees.length) + 0.5, 4);
      }
    }
  });

  it('splits on features by name and honours the branch mode', async () => {
    const tree: Tree = { nodes: [{ feature: 'b', threshold: 1, left: 1, right: 2, mode: 'BRANCH_LT' }, { leaf: 10 }, { leaf: 20 }] };
    const out = await run(treeEnsembleRegressor({ featureNames: ['a', 'b'], trees: [tree] }), new Float32Array([5, 1, 5, 0.5]), 2, 2);
    expect(Array.from(out.variable!.data as Float32Array)).toEqual([20, 10]);
  });

  it('rejects malformed trees', () => {
    const bad = (nodes: Tree['nodes']) => () => treeEnsembleRegressor({ featureNames: ['a'], trees: [{ nodes }] });
    expect(bad([{ feature: 0, threshold: 0, left: 1, right: 5 }, { leaf: 1 }])).toThrow(/node 5, which does not exist/);
    expect(bad([{ feature: 0, threshold: 0, left: 0, right: 1 }, { leaf: 1 }])).toThrow(/twice/);
    expect(bad([{ leaf: 1 }, { leaf: 2 }])).toThrow(/not reachable/);
    expect(bad([{ feature: 'zz', threshold: 0, left: 1, right: 2 }, { leaf: 1 }, { leaf: 2 }])).toThrow(/unknown feature "zz"/);
    expect(bad([{ leaf: [1, 2] }])).toThrow(/2 values, expected 1/);
    expect(() => treeEnsembleRegressor({ featureNames: ['a'], trees: [] })).toThrow(/at least one tree/);
  });
});

describe('treeEnsembleClassifier', () => {
  const F = 5;
  const N = 400;
  const names = ['f0', 'f1', 'f2', 'f3', 'f4'];

  it('multiclass: summed per-class weights, argmax label, string classes', async () => {
    const rng = mulberry32(11);
    const classes = ['cat', 'dog', 'eel'];
    const trees = Array.from({ length: 5 }, () => randomTree(rng, F, 3, () => [0, 1, 2].map(() => f32(rng() / 5))));
    const x = data(N, F, 5);
    const out = await run(treeEnsembleClassifier({ featureNames: names, classes, trees }), x, N, F);
    const proba = out.probabilities!.data as Float32Array;
    const label = out.label!.data as string[];
    for (let r = 0; r < N; r++) {
      const row = x.subarray(r * F, r * F + F);
      const s = [0, 0, 0];
      for (const t of trees) (leafOf(t, row, names).leaf as number[]).forEach((v, k) => (s[k]! += v));
      s.forEach((v, k) => expect(proba[r * 3 + k]).toBeCloseTo(v, 5));
      const m = Math.max(...s);
      if (s.filter((v) => m - v < 1e-5).length === 1) expect(label[r]).toBe(classes[s.indexOf(m)]);
    }
  });

  it('multiclass with SOFTMAX and base values', async () => {
    const tree: Tree = { nodes: [{ feature: 0, threshold: 0.75, left: 1, right: 2 }, { leaf: [1, 2, 0] }, { leaf: [0, 1, 3] }] };
    const out = await run(
      treeEnsembleClassifier({ featureNames: ['a', 'b'], classes: [0, 1, 2], trees: [tree], postTransform: 'SOFTMAX', baseValues: [2, 0, 0] }),
      new Float32Array([1, 0, 0.5, 0]),
      2,
      2,
    );
    const softmax = (z: number[]) => z.map((v) => Math.exp(v) / z.reduce((s, u) => s + Math.exp(u), 0));
    const want = [...softmax([2, 1, 3]), ...softmax([3, 2, 0])];
    Array.from(out.probabilities!.data as Float32Array).forEach((p, i) => expect(p).toBeCloseTo(want[i]!, 5));
    expect(Array.from(out.label!.data as BigInt64Array)).toEqual([2n, 0n]);
  });

  it('binary forest: leaves hold p(classes[1]); probabilities [1 - p, p], label when p > 0.5', async () => {
    const rng = mulberry32(12);
    const n = 10;
    const trees = Array.from({ length: n }, () => randomTree(rng, F, 4, () => f32(rng() / n)));
    const x = data(N, F, 6);
    const out = await run(treeEnsembleClassifier({ featureNames: names, classes: [3, 7], trees }), x, N, F);
    const proba = out.probabilities!.data as Float32Array;
    const label = out.label!.data as BigInt64Array;
    for (let r = 0; r < N; r++) {
      const row = x.subarray(r * F, r * F + F);
      const p = trees.reduce((s, t) => s + (leafOf(t, row, names).leaf as number), 0);
      expect(proba[2 * r + 1]).toBeCloseTo(p, 5);
      expect(proba[2 * r]).toBeCloseTo(1 - p, 5);
      if (Math.abs(p - 0.5) > 1e-5) expect(label[r]).toBe(p > 0.5 ? 7n : 3n);
    }
  });

  for (const sign of ['mixed-sign', 'non-negative'] as const) {
    it(`binary boosting (LOGISTIC, ${sign} margins): probabilities [σ(-s), σ(s)], label when s > 0`, async () => {
      const rng = mulberry32(sign === 'mixed-sign' ? 13 : 14);
      const trees = Array.from({ length: 6 }, () => randomTree(rng, F, 3, () => f32(sign === 'mixed-sign' ? rng() - 0.5 : rng() * 0.2)));
      const x = data(N, F, 7);
      const out = await run(treeEnsembleClassifier({ featureNames: names, classes: ['neg', 'pos'], trees, postTransform: 'LOGISTIC' }), x, N, F);
      const proba = out.probabilities!.data as Float32Array;
      const label = out.label!.data as string[];
      let positives = 0;
      for (let r = 0; r < N; r++) {
        const row = x.subarray(r * F, r * F + F);
        const s = trees.reduce((acc, t) => acc + (leafOf(t, row, names).leaf as number), 0);
        expect(proba[2 * r + 1]).toBeCloseTo(sigmoid(s), 5);
        expect(proba[2 * r]).toBeCloseTo(sigmoid(-s), 5);
        if (Math.abs(s) > 1e-5) expect(label[r]).toBe(s > 0 ? 'pos' : 'neg');
        if (s > 0 && s < 0.5) positives++;
      }
      // The non-negative case must include margins in (0, 0.5): there onnxruntime's p > 0.5 rule would say "neg".
      if (sign === 'non-negative') expect(positives).toBeGreaterThan(0);
    });
  }

  it('rejects leaves of the wrong width and unsupported binary options', () => {
    const tree: Tree = { nodes: [{ leaf: [0.5, 0.5] }] };
    expect(() => treeEnsembleClassifier({ featureNames: ['a'], classes: [0, 1], trees: [tree] })).toThrow(/2 values, expected 1/);
    expect(() => treeEnsembleClassifier({ featureNames: ['a'], classes: [0, 1, 2], trees: [tree] })).toThrow(/expected 3/);
    expect(() => treeEnsembleClassifier({ featureNames: ['a'], classes: [0, 1], trees: [{ nodes: [{ leaf: 1 }] }], postTransform: 'SOFTMAX' })).toThrow(/NONE .* or LOGISTIC/);
  });
});
