/**
 * Gate policies: what a model version must show before an alias such as `production` may point at it, and how
 * the evaluation that shows it is run. Written as YAML (or JSON), validated here with line numbers, stored as
 * versioned JSON per registered model.
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type Pair, type YAMLMap } from 'yaml';
import { invalid } from '../core/errors.js';
import { HIGHER_IS_BETTER, type TaskType } from './report.js';
import { FAIRNESS_METRICS, type FairnessMetric, type Rule } from './rules.js';

export { describeRule, FAIRNESS_METRICS, type FairnessMetric, type Rule } from './rules.js';



/** One-sided confidence levels a rule may ask for: the bootstrap keeps quantiles at 1 − c for each. */
export const RULE_CONFIDENCES = [0.9, 0.95, 0.975, 0.99, 0.995] as const;
/** Two-sided levels for the report's intervals: the bootstrap keeps quantiles at (1 − c)/2 and (1 + c)/2. */
export const REPORT_CONFIDENCES = [0.8, 0.9, 0.95, 0.98, 0.99] as const;

export interface SliceSpec {
  /** One slice per value of each column. */
  columns: string[];
  /** Equal-frequency bins of numeric columns. */
  quantiles: { column: string; bins: number }[];
  /** Filter expressions, e.g. `tenure < 3 and plan = 'pro'`. */
  named: { name: string; filter: string }[];
}

/** The settings of an evaluation; a policy carries them so a promotion can run its gate with no other input. */
export interface EvaluationSettings {
  dataset?: string;
  label?: string;
  task?: TaskType;
  positiveClass?: string;
  /** Evaluate this column of the dataset as the model's predictions instead of running the model. */
  predictionColumn?: string;
  /** With predictionColumn, binary task: the predicted probability of the positive class. */
  scoreColumn?: string;
  slices: SliceSpec;
  sensitive: string[];
  /** Dataset columns that are neither model inputs, label nor slices, and are fine to ignore. */
  ignoreColumns: string[];
  confidence: number;
  resamples: number;
  seed: number;
}

export interface PolicySpec extends EvaluationSettings {
  /** Aliases this policy guards; a stage of the same name (any case) is guarded too. */
  protect: string[];
  /** The alias whose version is the champion to compare with; default: the first protected alias. */
  against?: string;
  /** When `against` points to no version: `fail` (the default) refuses, `skip` passes comparison rules as skipped. */
  noChampion: 'fail' | 'skip';
  /** A reviewer other than the promoter must approve the evaluation. */
  signoff: boolean;
  /**
   * Whether a version that has not passed this gate may answer canary or A/B traffic of a deployment following a
   * protected alias (`refuse`, the default, or `allow`). Shadow traffic answers nothing and is always allowed.
   * Absent from policies stored before it existed: refuse.
   */
  canaryUngated?: 'refuse' | 'allow';
  rules: Rule[];
}

export const DEFAULT_SETTINGS: EvaluationSettings = {
  slices: { columns: [], quantiles: [], named: [] },
  sensitive: [],
  ignoreColumns: [],
  confidence: 0.95,
  resamples: 1000,
  seed: 1,
};

const TOP_KEYS = [
  'protect', 'against', 'no_champion', 'signoff', 'canary_ungated', 'rules', 'dataset', 'label', 'task', 'positive_class', 'prediction_column',
  'score_column', 'slices', 'sensitive', 'ignore_columns', 'confidence', 'resamples', 'seed',
] as const;
const RULE_KEYS: Record<Rule['kind'], readonly string[]> = {
  min: ['metric', 'value'],
  max: ['metric', 'value'],
  no_regression: ['metric', 'margin', 'confidence', 'slices', 'min_support'],
  fairness: ['column', 'metric', 'min', 'max'],
  latency: ['p50_ms', 'p99_ms'],
  artifact_size: ['max_mb'],
};
const KNOWN_METRICS = Object.keys(HIGHER_IS_BETTER);

/** Reads a policy from YAML or JSON text. Every error names the line (and the key or rule) it is about. */
export function parsePolicy(text: string, label = 'policy'): PolicySpec {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const lineOf = (node: Node | Pair | null | undefined): number => {
    const range = node && 'range' in node ? node.range : node && 'key' in node ? (node.key as Node | null)?.range : undefined;
    return range ? lines.linePos(range[0]).line : 1;
  };
  const fail = (node: Node | Pair | null | undefined, problem: string) => invalid(`${label} line ${lineOf(node)}: ${problem}`, { line: lineOf(node) });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = e.linePos?.[0]?.line ?? 1;
    throw invalid(`${label} line ${line}: not valid YAML: ${e.message.split('\n')[0]}`, { line });
  }
  const root = doc.contents;
  if (!isMap(root)) throw fail(root, 'a policy is a mapping with `protect`, `rules` and evaluation settings (see `slipway eval policy --help`)');

  const spec: PolicySpec = { ...structuredClone(DEFAULT_SETTINGS), protect: ['production'], noChampion: 'fail', signoff: false, canaryUngated: 'refuse', rules: [] };
  for (const pair of root.items) {
    const key = keyOf(pair);
    const value = pair.value as Node | null;
    const at = (problem: string) => fail(pair, `\`${key}\` ${problem}`);
    switch (key) {
      case 'protect':
        spec.protect = stringList(value, at);
        if (spec.protect.length === 0) throw at('needs at least one alias, e.g. [production]');
        break;
      case 'against':
      case 'dataset':
      case 'label':
      case 'positive_class':
      case 'prediction_column':
      case 'score_column': {
        const s = scalar(value);
        if (typeof s !== 'string' && typeof s !== 'number') throw at('must be a string');
        const field = ({ against: 'against', dataset: 'dataset', label: 'label', positive_class: 'positiveClass', prediction_column: 'predictionColumn', score_column: 'scoreColumn' } as const)[key];
        spec[field] = String(s);
        break;
      }
      case 'task': {
        const s = scalar(value);
        if (s !== 'binary' && s !== 'multiclass' && s !== 'regression') throw at(`must be binary, multiclass or regression, not ${JSON.stringify(s)}`);
        spec.task = s;
        break;
      }
      case 'no_champion': {
        const s = scalar(value);
        if (s !== 'fail' && s !== 'skip') throw at(`must be fail or skip, not ${JSON.stringify(s)}`);
        spec.noChampion = s;
        break;
      }
      case 'signoff':
        spec.signoff = bool(value, at);
        break;
      case 'canary_ungated': {
        const s = scalar(value);
        if (s !== 'refuse' && s !== 'allow') throw at(`must be refuse or allow, not ${JSON.stringify(s)}`);
        spec.canaryUngated = s;
        break;
      }
      case 'sensitive':
        spec.sensitive = stringList(value, at);
        break;
      case 'ignore_columns':
        spec.ignoreColumns = stringList(value, at);
        break;
      case 'confidence': {
        const c = number(value, at);
        if (!(REPORT_CONFIDENCES as readonly number[]).includes(c)) throw at(`must be one of ${REPORT_CONFIDENCES.join(', ')}, not ${c}`);
        spec.confidence = c;
        break;
      }
      case 'resamples': {
        const n = number(value, at);
        if (!Number.isInteger(n) || n < 100 || n > 100_000) throw at(`must be a whole number from 100 to 100000, not ${n}`);
        spec.resamples = n;
        break;
      }
      case 'seed': {
        const n = number(value, at);
        if (!Number.isInteger(n) || n < 0 || n > 2 ** 32 - 1) throw at(`must be a whole number from 0 to 4294967295, not ${n}`);
        spec.seed = n;
        break;
      }
      case 'slices':
        spec.slices = parseSlices(value, fail);
        break;
      case 'rules':
        if (!isSeq(value)) throw at('must be a list of rules, each a mapping with one key: min, max, no_regression, fairness, latency or artifact_size');
        spec.rules = value.items.map((item) => parseRule(item as Node, fail, lineOf));
        break;
      default:
        throw fail(pair, `unknown key \`${key}\`; known keys: ${TOP_KEYS.join(', ')}`);
    }
  }
  if (spec.scoreColumn && !spec.predictionColumn) throw invalid(`${label}: \`score_column\` needs \`prediction_column\` (it describes predictions read from the dataset)`);
  return spec;
}

/** The policy of a request or file, or the default settings when there is none. */
export function settingsOnly(): PolicySpec {
  return { ...structuredClone(DEFAULT_SETTINGS), protect: [], noChampion: 'fail', signoff: false, rules: [] };
}

type Fail = (node: Node | Pair | null | undefined, problem: string) => Error;

function keyOf(pair: Pair): string {
  const k = pair.key;
  return isScalar(k) ? String(k.value) : String(k);
}

function scalar(node: Node | null): unknown {
  return isScalar(node) ? node.value : node === null ? null : Symbol('not a scalar');
}

function number(node: Node | null, at: (p: string) => Error): number {
  const v = scalar(node);
  if (typeof v !== 'number' || !Number.isFinite(v)) throw at(`must be a number, not ${describe(v)}`);
  return v;
}

function bool(node: Node | null, at: (p: string) => Error): boolean {
  const v = scalar(node);
  if (typeof v !== 'boolean') throw at(`must be true or false, not ${describe(v)}`);
  return v;
}

function stringList(node: Node | null, at: (p: string) => Error): string[] {
  if (isScalar(node) && (typeof node.value === 'string' || typeof node.value === 'number')) return [String(node.value)];
  if (!isSeq(node)) throw at('must be a list of names');
  return node.items.map((i) => {
    const v = scalar(i as Node);
    if (typeof v !== 'string' && typeof v !== 'number') throw at(`must list names, found ${describe(v)}`);
    return String(v);
  });
}

function describe(v: unknown): string {
  return typeof v === 'symbol' ? 'a list or mapping' : JSON.stringify(v);
}

function parseSlices(node: Node | null, fail: Fail): SliceSpec {
  const out: SliceSpec = { columns: [], quantiles: [], named: [] };
  if (!isMap(node)) throw fail(node, '`slices` must be a mapping with `columns`, `quantiles` and/or `named`');
  for (const pair of node.items) {
    const key = keyOf(pair);
    const value = pair.value as Node | null;
    const at = (p: string) => fail(pair, `\`slices.${key}\` ${p}`);
    if (key === 'columns') out.columns = stringList(value, at);
    else if (key === 'quantiles') {
      if (!isMap(value)) throw at('must map numeric columns to a number of bins, e.g. { age: 4 }');
      for (const q of value.items) {
        const bins = number(q.value as Node, (p) => fail(q, `\`slices.quantiles.${keyOf(q)}\` ${p}`));
        if (!Number.isInteger(bins) || bins < 2 || bins > 100) throw fail(q, `\`slices.quantiles.${keyOf(q)}\` must be a whole number of bins from 2 to 100, not ${bins}`);
        out.quantiles.push({ column: keyOf(q), bins });
      }
    } else if (key === 'named') {
      if (!isMap(value)) throw at("must map slice names to filter expressions, e.g. { new customers: \"tenure < 3\" }");
      for (const n of value.items) {
        const filter = scalar(n.value as Node);
        if (typeof filter !== 'string' || filter.trim() === '') throw fail(n, `\`slices.named.${keyOf(n)}\` must be a filter expression such as "age >= 65 and plan = 'pro'"`);
        out.named.push({ name: keyOf(n), filter });
      }
    } else throw fail(pair, `unknown key \`slices.${key}\`; known keys: columns, quantiles, named`);
  }
  return out;
}

function parseRule(node: Node, fail: Fail, lineOf: (n: Node | Pair) => number): Rule {
  const kinds = Object.keys(RULE_KEYS).join(', ');
  if (!isMap(node) || node.items.length !== 1) throw fail(node, `a rule is a mapping with exactly one key (${kinds}), e.g. "- min: { metric: roc_auc, value: 0.8 }"`);
  const pair = node.items[0]!;
  const kind = keyOf(pair) as Rule['kind'];
  if (!(kind in RULE_KEYS)) throw fail(pair, `unknown rule \`${kind}\`; known rules: ${kinds}`);
  const body = pair.value as Node | null;
  if (!isMap(body)) throw fail(pair, `rule \`${kind}\` needs its settings as a mapping: ${RULE_KEYS[kind].join(', ')}`);
  const fields = new Map<string, Node | null>();
  for (const f of (body as YAMLMap).items) {
    const k = keyOf(f);
    if (!RULE_KEYS[kind].includes(k)) throw fail(f, `rule \`${kind}\` has no setting \`${k}\`; it takes ${RULE_KEYS[kind].join(', ')}`);
    fields.set(k, f.value as Node | null);
  }
  const line = lineOf(pair);
  const at = (p: string) => fail(pair, `rule \`${kind}\` ${p}`);
  const get = (k: string) => fields.get(k) ?? null;
  const num = (k: string, required: boolean): number | undefined => {
    if (!fields.has(k)) {
      if (required) throw at(`needs \`${k}\``);
      return undefined;
    }
    return number(get(k), (p) => at(`\`${k}\` ${p}`));
  };
  const metric = (): string => {
    const m = scalar(get('metric'));
    if (typeof m !== 'string') throw at('needs `metric`, e.g. roc_auc');
    if (!KNOWN_METRICS.includes(m)) throw at(`names unknown metric \`${m}\`; known metrics: ${KNOWN_METRICS.join(', ')}`);
    return m;
  };
  switch (kind) {
    case 'min':
    case 'max':
      return { kind, metric: metric(), value: num('value', true)!, line };
    case 'no_regression': {
      const confidence = num('confidence', false) ?? 0.95;
      if (!(RULE_CONFIDENCES as readonly number[]).includes(confidence)) throw at(`\`confidence\` must be one of ${RULE_CONFIDENCES.join(', ')}, not ${confidence}`);
      const margin = num('margin', false) ?? 0;
      if (margin < 0) throw at('`margin` is the largest drop allowed and cannot be negative');
      const minSupport = num('min_support', false) ?? 100;
      if (!Number.isInteger(minSupport) || minSupport < 1) throw at('`min_support` must be a whole number of rows ≥ 1');
      const slices = fields.has('slices') ? bool(get('slices'), (p) => at(`\`slices\` ${p}`)) : false;
      return { kind, metric: metric(), margin, confidence, slices, minSupport, line };
    }
    case 'fairness': {
      const column = scalar(get('column'));
      if (typeof column !== 'string') throw at('needs `column`, the sensitive column');
      const m = scalar(get('metric'));
      if (!(FAIRNESS_METRICS as readonly unknown[]).includes(m)) throw at(`\`metric\` must be one of ${FAIRNESS_METRICS.join(', ')}, not ${describe(m)}`);
      const min = num('min', false);
      const max = num('max', false);
      if (min === undefined && max === undefined) throw at('needs `min` or `max`');
      return { kind, column, metric: m as FairnessMetric, ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}), line };
    }
    case 'latency': {
      const p50Ms = num('p50_ms', false);
      const p99Ms = num('p99_ms', false);
      if (p50Ms === undefined && p99Ms === undefined) throw at('needs `p50_ms` or `p99_ms`');
      return { kind, ...(p50Ms !== undefined ? { p50Ms } : {}), ...(p99Ms !== undefined ? { p99Ms } : {}), line };
    }
    case 'artifact_size':
      return { kind, maxMb: num('max_mb', true)!, line };
  }
}
