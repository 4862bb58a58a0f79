/**
 * Builds small, real ONNX models from TypeScript: linear regression, logistic regression, tree ensembles
 * (`ai.onnx.ml` operators), as `Uint8Array` ModelProto bytes onnxruntime loads. Used by tests, benchmarks and
 * examples; fitting the parameters happens elsewhere.
 *
 * Inputs: by default ONE float tensor `[N, F]` named `input`; with `perFeatureInputs: true`, one `[N, 1]` float
 * input per feature named after it, concatenated (in feature order) by a `Concat` node. Either way the model records
 * its feature names in `metadata_props` under `slipway.features` (a JSON array) so a runtime can map dataset
 * columns to the tensor.
 *
 * Outputs: regressors `variable` (float `[N, 1]`); classifiers `label` (int64 or string `[N]`) and `probabilities`
 * (float `[N, C]`, no ZipMap).
 */
import { invalid } from '../../core/errors.js';
import {
  AttributeType,
  DataType,
  DEFAULT_OPSET,
  FEATURES_KEY,
  IR_VERSION,
  ML_OPSET,
  onnx,
  type IAttributeProto as IAttribute,
  type INodeProto as INode,
  type IValueInfoProto as IValueInfo,
} from './proto.js';

export interface InputOptions {
  featureNames: string[];
  /** One `[N, 1]` input per feature (named after it) instead of one `[N, F]` tensor named `input`. */
  perFeatureInputs?: boolean;
  /** Extra `metadata_props` entries. */
  metadata?: Record<string, string>;
  /** ModelProto doc_string. */
  docString?: string;
}

export type ClassLabel = string | number;

export interface LinearRegressorSpec extends InputOptions {
  coefficients: number[];
  intercept: number;
}

export interface LogisticRegressionSpec extends InputOptions {
  /** Integer labels (→ `classlabels_int64s`) or strings (→ `classlabels_strings`), in model order. */
  classes: ClassLabel[];
  /**
   * Binary: ONE row (weights of the positive class, `classes[1]`), scored with a LOGISTIC post transform; a flat
   * `number[]` is taken as that one row. Multiclass (or two rows for two classes): one row per class, SOFTMAX.
   */
  coefficients: number[] | number[][];
  /** One per coefficient row. */
  intercepts: number[];
}

export type BranchMode = 'BRANCH_LEQ' | 'BRANCH_LT' | 'BRANCH_GTE' | 'BRANCH_GT' | 'BRANCH_EQ' | 'BRANCH_NEQ';

export interface BranchNode {
  /** Feature index, or its name in `featureNames`. */
  feature: number | string;
  threshold: number;
  /** Index (in `Tree.nodes`) of the node taken when the comparison holds (`x <= threshold` by default). */
  left: number;
  /** Index of the node taken otherwise. */
  right: number;
  /** Default `BRANCH_LEQ`. */
  mode?: BranchMode;
  /** Where a missing (NaN) value goes; default `right` (NaN compares false). */
  missing?: 'left' | 'right';
}

export interface LeafNode {
  /**
   * Regressor: one value. Classifier with more than two classes: one weight per class (summed over trees, then the
   * post transform; the label is the argmax). Binary classifier: ONE value, the weight of `classes[1]`: with
   * non-negative weights and no post transform it is p(classes[1]) (probabilities [1 - p, p], label classes[1] when
   * p > 0.5); with LOGISTIC it is a margin s (probabilities [sigmoid(-s), sigmoid(s)], label classes[1] when s > 0).
   * Other post transforms are not supported for two classes.
   */
  leaf: number | number[];
}

export type TreeNode = BranchNode | LeafNode;

/** `nodes[0]` is the root. */
export interface Tree {
  nodes: TreeNode[];
}

export type PostTransform = 'NONE' | 'SOFTMAX' | 'LOGISTIC' | 'SOFTMAX_ZERO' | 'PROBIT';

export interface TreeEnsembleRegressorSpec extends InputOptions {
  trees: Tree[];
  /** How tree outputs combine; default SUM. */
  aggregate?: 'SUM' | 'AVERAGE' | 'MIN' | 'MAX';
  /** Added to the aggregate; default 0. */
  baseValue?: number;
}

export interface TreeEnsembleClassifierSpec extends InputOptions {
  classes: ClassLabel[];
  trees: Tree[];
  /** Applied to the summed class weights; default NONE (e.g. a forest whose leaves hold probabilities / n_trees). */
  postTransform?: PostTransform;
  /** Per-class scores added before the post transform. */
  baseValues?: number[];
}

// ---------------------------------------------------------------------------------------------------------------
// Attributes and value infos

const enc = new TextEncoder();
const attrFloats = (name: string, floats: number[]): IAttribute => onnx.AttributeProto.create({ name, type: AttributeType.FLOATS, floats });
const attrInts = (name: string, ints: number[]): IAttribute => onnx.AttributeProto.create({ name, type: AttributeType.INTS, ints });
const attrInt = (name: string, i: number): IAttribute => onnx.AttributeProto.create({ name, type: AttributeType.INT, i });
const attrString = (name: string, s: string): IAttribute => onnx.AttributeProto.create({ name, type: AttributeType.STRING, s: enc.encode(s) });
const attrStrings = (name: string, strings: string[]): IAttribute =>
  onnx.AttributeProto.create({ name, type: AttributeType.STRINGS, strings: strings.map((s) => enc.encode(s)) });

function tensorInfo(name: string, elemType: number, dims: (number | string)[]): IValueInfo {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Validation

function finite(what: string, values: number[]): void {
  for (const v of values) if (!Number.isFinite(v)) throw invalid(`${what} must be finite numbers, got ${v}`);
}

function checkFeatures(names: string[]): void {
  if (!Array.isArray(names) || names.length === 0) throw invalid('featureNames must name at least one feature');
  const seen = new Set<string>();
  for (const n of names) {
    if (typeof n !== 'string' || n === '') throw invalid('featureNames must be non-empty strings');
    if (seen.has(n)) throw invalid(`duplicate feature name "${n}"`);
    seen.add(n);
  }
}

/**
 * Integer labels → int64 class labels; strings → string labels; anything else is rejected. The integer attribute
 * is `classlabels_int64s` on TreeEnsembleClassifier but `classlabels_ints` on LinearClassifier (and SVMClassifier):
 * that is how the `ai.onnx.ml` operators name it.
 */
function classLabelsAttr(classes: ClassLabel[], intsName: 'classlabels_int64s' | 'classlabels_ints'): { attr: IAttribute; elemType: number } {
  if (!Array.isArray(classes) || classes.length < 2) throw invalid('a classifier needs at least two classes');
  if (new Set(classes).size !== classes.length) throw invalid('class labels must be distinct');
  if (classes.every((c) => typeof c === 'number')) {
    const ints = classes as number[];
    if (!ints.every((c) => Number.isSafeInteger(c))) throw invalid('numeric class labels must be integers');
    return { attr: attrInts(intsName, ints), elemType: DataType.INT64 };
  }
  if (classes.every((c) => typeof c === 'string')) return { attr: attrStrings('classlabels_strings', classes as string[]), elemType: DataType.STRING };
  throw invalid('class labels must be all integers or all strings');
}

// ---------------------------------------------------------------------------------------------------------------
// Model assembly

/** The feature tensor's name inside the graph and the nodes/inputs that produce it. */
function featureInputs(opts: InputOptions): { tensor: string; inputs: IValueInfo[]; nodes: INode[] } {
  const F = opts.featureNames.length;
  if (!opts.perFeatureInputs) return { tensor: 'input', inputs: [tensorInfo('input', DataType.FLOAT, ['N', F])], nodes: [] };
  const inputs = opts.featureNames.map((n) => tensorInfo(n, DataType.FLOAT, ['N', 1]));
  const tensor = 'slipway_features';
  return {
    tensor,
    inputs,
    nodes: [{ name: 'concat_features', opType: 'Concat', domain: '', input: [...opts.featureNames], output: [tensor], attribute: [attrInt('axis', 1)] }],
  };
}

function encodeModel(opts: InputOptions, graphName: string, body: (tensor: string) => { nodes: INode[]; outputs: IValueInfo[] }): Uint8Array {
  checkFeatures(opts.featureNames);
  const inp = featureInputs(opts);
  const { nodes, outputs } = body(inp.tensor);
  const metadata: Record<string, string> = { ...(opts.metadata ?? {}), [FEATURES_KEY]: JSON.stringify(opts.featureNames) };
  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    producerName: 'slipway',
    producerVersion: '1',
    docString: opts.docString ?? '',
    opsetImport: [
      { domain: '', version: DEFAULT_OPSET },
      { domain: 'ai.onnx.ml', version: ML_OPSET },
    ],
    graph: { name: graphName, node: [...inp.nodes, ...nodes], input: inp.inputs, output: outputs },
    metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
  });
  return onnx.ModelProto.encode(model).finish();
}

// ---------------------------------------------------------------------------------------------------------------
// Linear models

export function linearRegressor(spec: LinearRegressorSpec): Uint8Array {
  checkFeatures(spec.featureNames);
  const F = spec.featureNames.length;
  if (spec.coefficients.length !== F) throw invalid(`linearRegressor: ${spec.coefficients.length} coefficients for ${F} features`);
  finite('coefficients', spec.coefficients);
  finite('intercept', [spec.intercept]);
  return encodeModel(spec, 'linear_regressor', (x) => ({
    nodes: [
      {
        name: 'linear_regressor',
        opType: 'LinearRegressor',
        domain: 'ai.onnx.ml',
        input: [x],
        output: ['variable'],
        attribute: [attrFloats('coefficients', spec.coefficients), attrFloats('intercepts', [spec.intercept]), attrInt('targets', 1)],
      },
    ],
    outputs: [tensorInfo('variable', DataType.FLOAT, ['N', 1])],
  }));
}

export function logisticRegression(spec: LogisticRegressionSpec): Uint8Array {
  checkFeatures(spec.featureNames);
  const F = spec.featureNames.length;
  const labels = classLabelsAttr(spec.classes, 'classlabels_ints');
  const C = spec.classes.length;
  const rows: number[][] = spec.coefficients.length > 0 && typeof spec.coefficients[0] === 'number' ? [spec.coefficients as number[]] : (spec.coefficients as number[][]);
  const binary = rows.length === 1 && C === 2;
  if (!binary && rows.length !== C) {
    throw invalid(`logisticRegression: ${rows.length} coefficient rows for ${C} classes (give one row for a binary model, or one per class)`);
  }
  for (const r of rows) if (r.length !== F) throw invalid(`logisticRegression: a coefficient row has ${r.length} values for ${F} features`);
  if (spec.intercepts.length !== rows.length) throw invalid(`logisticRegression: ${spec.intercepts.length} intercepts for ${rows.length} coefficient rows`);
  const flat = rows.flat();
  finite('coefficients', flat);
  finite('intercepts', spec.intercepts);
  return encodeModel(spec, 'logistic_regression', (x) => ({
    nodes: [
      {
        name: 'linear_classifier',
        opType: 'LinearClassifier',
        domain: 'ai.onnx.ml',
        input: [x],
        output: ['label', 'probabilities'],
        attribute: [
          attrFloats('coefficients', flat),
          attrFloats('intercepts', spec.intercepts),
          labels.attr,
          attrInt('multi_class', 0),
          attrString('post_transform', binary ? 'LOGISTIC' : 'SOFTMAX'),
        ],
      },
    ],
    outputs: [tensorInfo('label', labels.elemType, ['N']), tensorInfo('probabilities', DataType.FLOAT, ['N', C])],
  }));
}

// ---------------------------------------------------------------------------------------------------------------
// Tree ensembles

interface FlatTrees {
  treeIds: number[];
  nodeIds: number[];
  featureIds: number[];
  modes: string[];
  values: number[];
  trueIds: number[];
  falseIds: number[];
  missingTrue: number[];
  /** One entry per (leaf, output index) pair. */
  leafTree: number[];
  leafNode: number[];
  leafOut: number[];
  leafWeight: number[];
}

const isLeaf = (n: TreeNode): n is LeafNode => 'leaf' in n;

/** Flattens trees into the parallel arrays the TreeEnsemble operators take, checking the structure. */
function flattenTrees(trees: Tree[], featureNames: string[], outputs: number, kind: string): FlatTrees {
  if (!Array.isArray(trees) || trees.length === 0) throw invalid(`${kind}: at least one tree is needed`);
  const featureIndex = new Map(featureNames.map((n, i) => [n, i]));
  const f: FlatTrees = { treeIds: [], nodeIds: [], featureIds: [], modes: [], values: [], trueIds: [], falseIds: [], missingTrue: [], leafTree: [], leafNode: [], leafOut: [], leafWeight: [] };
  trees.forEach((tree, t) => {
    const nodes = tree.nodes;
    if (!Array.isArray(nodes) || nodes.length === 0) throw invalid(`${kind}: tree ${t} has no nodes`);
    // Every node must be reached exactly once from the root: a tree, no cycles, no orphans.
    const seen = new Uint8Array(nodes.length);
    const stack = [0];
    while (stack.length > 0) {
      const i = stack.pop()!;
      if (seen[i]) throw invalid(`${kind}: tree ${t} reaches node ${i} twice`);
      seen[i] = 1;
      const n = nodes[i]!;
      if (!isLeaf(n)) {
        for (const c of [n.left, n.right]) {
          if (!Number.isInteger(c) || c < 0 || c >= nodes.length) throw invalid(`${kind}: tree ${t} node ${i} points at node ${c}, which does not exist`);
          stack.push(c);
        }
      }
    }
    const orphan = seen.indexOf(0);
    if (orphan >= 0) throw invalid(`${kind}: tree ${t} node ${orphan} is not reachable from the root`);

    nodes.forEach((n, i) => {
      f.treeIds.push(t);
      f.nodeIds.push(i);
      if (isLeaf(n)) {
        const w = typeof n.leaf === 'number' ? [n.leaf] : n.leaf;
        if (w.length !== outputs) throw invalid(`${kind}: tree ${t} leaf ${i} has ${w.length} values, expected ${outputs}`);
        finite('leaf values', w);
        f.featureIds.push(0);
        f.modes.push('LEAF');
        f.values.push(0);
        f.trueIds.push(0);
        f.falseIds.push(0);
        f.missingTrue.push(0);
        w.forEach((v, k) => {
          f.leafTree.push(t);
          f.leafNode.push(i);
          f.leafOut.push(k);
          f.leafWeight.push(v);
        });
      } else {
        const feat = typeof n.feature === 'string' ? featureIndex.get(n.feature) : n.feature;
        if (feat === undefined || !Number.isInteger(feat) || feat < 0 || feat >= featureNames.length) {
          throw invalid(`${kind}: tree ${t} node ${i} splits on unknown feature ${JSON.stringify(n.feature)}`);
        }
        finite('thresholds', [n.threshold]);
        f.featureIds.push(feat);
        f.modes.push(n.mode ?? 'BRANCH_LEQ');
        f.values.push(n.threshold);
        f.trueIds.push(n.left);
        f.falseIds.push(n.right);
        f.missingTrue.push(n.missing === 'left' ? 1 : 0);
      }
    });
  });
  return f;
}

const treeAttrs = (f: FlatTrees): IAttribute[] => [
  attrInts('nodes_treeids', f.treeIds),
  attrInts('nodes_nodeids', f.nodeIds),
  attrInts('nodes_featureids', f.featureIds),
  attrStrings('nodes_modes', f.modes),
  attrFloats('nodes_values', f.values),
  attrInts('nodes_truenodeids', f.trueIds),
  attrInts('nodes_falsenodeids', f.falseIds),
  attrInts('nodes_missing_value_tracks_true', f.missingTrue),
];

export function treeEnsembleRegressor(spec: TreeEnsembleRegressorSpec): Uint8Array {
  checkFeatures(spec.featureNames);
  const f = flattenTrees(spec.trees, spec.featureNames, 1, 'treeEnsembleRegressor');
  const base = spec.baseValue ?? 0;
  finite('baseValue', [base]);
  return encodeModel(spec, 'tree_ensemble_regressor', (x) => ({
    nodes: [
      {
        name: 'tree_ensemble_regressor',
        opType: 'TreeEnsembleRegressor',
        domain: 'ai.onnx.ml',
        input: [x],
        output: ['variable'],
        attribute: [
          ...treeAttrs(f),
          attrInts('target_treeids', f.leafTree),
          attrInts('target_nodeids', f.leafNode),
          attrInts('target_ids', f.leafOut),
          attrFloats('target_weights', f.leafWeight),
          attrInt('n_targets', 1),
          attrString('aggregate_function', spec.aggregate ?? 'SUM'),
          attrFloats('base_values', [base]),
          attrString('post_transform', 'NONE'),
        ],
      },
    ],
    outputs: [tensorInfo('variable', DataType.FLOAT, ['N', 1])],
  }));
}

export function treeEnsembleClassifier(spec: TreeEnsembleClassifierSpec): Uint8Array {
  checkFeatures(spec.featureNames);
  const labels = classLabelsAttr(spec.classes, 'classlabels_int64s');
  const C = spec.classes.length;
  // Two classes: onnxruntime always scores them with its "binary" logic, which is only right when the leaves carry
  // ONE score (it ignores an argmax: with weights for both classes the label is index 1 whenever score1 > 0, and
  // the class-0 column is left at 0). That single score must sit under class id 0 — onnxruntime then treats it as
  // the positive class's weight and writes probabilities [1 - p, p] (NONE) or [sigmoid(-s), sigmoid(s)]
  // (LOGISTIC). Its label rule is p > 0.5 when every weight is >= 0 and s > 0 otherwise; a LOGISTIC margin needs
  // the latter, so an all-non-negative LOGISTIC ensemble gets one extra single-leaf tree of weight -1e-30
  // (which changes no score) to select it. Checked against onnxruntime 1.30 in builder.test.ts.
  const binary = C === 2;
  if (binary && !['NONE', 'LOGISTIC'].includes(spec.postTransform ?? 'NONE')) {
    throw invalid('treeEnsembleClassifier: a binary ensemble takes postTransform NONE (probabilities) or LOGISTIC (margins)');
  }
  const f = flattenTrees(spec.trees, spec.featureNames, binary ? 1 : C, 'treeEnsembleClassifier');
  if (binary && (spec.postTransform ?? 'NONE') === 'LOGISTIC' && f.leafWeight.every((w) => w >= 0)) {
    const t = spec.trees.length;
    f.treeIds.push(t);
    f.nodeIds.push(0);
    f.featureIds.push(0);
    f.modes.push('LEAF');
    f.values.push(0);
    f.trueIds.push(0);
    f.falseIds.push(0);
    f.missingTrue.push(0);
    f.leafTree.push(t);
    f.leafNode.push(0);
    f.leafOut.push(0);
    f.leafWeight.push(-1e-30);
  }
  const attrs = [
    ...treeAttrs(f),
    attrInts('class_treeids', f.leafTree),
    attrInts('class_nodeids', f.leafNode),
    attrInts('class_ids', f.leafOut),
    attrFloats('class_weights', f.leafWeight),
    labels.attr,
    attrString('post_transform', spec.postTransform ?? 'NONE'),
  ];
  if (spec.baseValues) {
    if (binary) throw invalid('treeEnsembleClassifier: baseValues are only supported with more than two classes');
    if (spec.baseValues.length !== C) throw invalid(`treeEnsembleClassifier: ${spec.baseValues.length} base values for ${C} classes`);
    finite('baseValues', spec.baseValues);
    attrs.push(attrFloats('base_values', spec.baseValues));
  }
  return encodeModel(spec, 'tree_ensemble_classifier', (x) => ({
    nodes: [{ name: 'tree_ensemble_classifier', opType: 'TreeEnsembleClassifier', domain: 'ai.onnx.ml', input: [x], output: ['label', 'probabilities'], attribute: attrs }],
    outputs: [tensorInfo('label', labels.elemType, ['N']), tensorInfo('probabilities', DataType.FLOAT, ['N', C])],
  }));
}
