/** Benchmark models built with Slipway's ONNX builder: a logistic regression and a random tree ensemble. */
import { logisticRegression, treeEnsembleClassifier, type Tree } from '../../src/runtimes/onnx/builder.js';

/** A full binary tree of `depth` with random splits over `features` features. */
function randomTree(rng: () => number, features: number, depth: number, leaf: () => number): Tree {
  const nodes: Tree['nodes'] = [];
  const grow = (d: number): number => {
    const i = nodes.length;
    if (d === depth) {
      nodes.push({ leaf: leaf() });
      return i;
    }
    nodes.push({ leaf: 0 });
    const left = grow(d + 1);
    const right = grow(d + 1);
    nodes[i] = { feature: Math.floor(rng() * features), threshold: rng() * 2 - 1, left, right };
    return i;
  };
  grow(0);
  return { nodes };
}

/** The two models the scoring benchmarks compare: one costing almost nothing per row, one costing much more. */
export function benchModels(rng: () => number, names: string[], trees: number, depth: number): { name: string; bytes: Uint8Array }[] {
  return [
    {
      name: `logistic regression, ${names.length} features`,
      bytes: logisticRegression({ featureNames: names, classes: [0, 1], coefficients: names.map(() => rng() * 2 - 1), intercepts: [0.1] }),
    },
    {
      name: `tree ensemble, ${trees} trees of depth ${depth}`,
      bytes: treeEnsembleClassifier({ featureNames: names, classes: [0, 1], trees: Array.from({ length: trees }, () => randomTree(rng, names.length, depth, () => rng() / trees)) }),
    },
  ];
}
