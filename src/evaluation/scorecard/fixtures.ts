/**
 * Realistic example reports for the scorecard's tests and for looking at the rendered pages: a binary fraud model
 * compared with production whose gate fails on a slice and a fairness check, the same model passing, a binary model
 * significantly worse than its champion without a gate, a multiclass ticket router, a regression model without a
 * champion, and a report with many slices. Curves are drawn from a binormal model so they look like real ones.
 */
import type { Curves, EvaluationReport, GateRuleResult, MetricDelta, SliceDelta, SliceResult } from '../report.js';

/** Standard normal CDF (Abramowitz–Stegun 7.1.26 via erf), plenty for example curves. */
function phi(x: number): number {
  const t = 1 / (1 + 0.3275911 * (Math.abs(x) / Math.SQRT2));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-(x * x) / 2);
  return x >= 0 ? (1 + y) / 2 : (1 - y) / 2;
}

const round = (v: number, d = 4): number => Math.round(v * 10 ** d) / 10 ** d;

/** ROC and PR curves of scores N(0,1) for negatives and N(mu,1) for positives, at `prevalence`. */
export function binormalCurves(mu: number, prevalence: number, points = 60): Required<Pick<Curves, 'roc' | 'pr'>> {
  const fpr: number[] = [0];
  const tpr: number[] = [0];
  const recall: number[] = [];
  const precision: number[] = [];
  for (let i = 0; i < points; i++) {
    const t = 5 - (i * (5 + 4)) / (points - 1);
    const f = 1 - phi(t);
    const r = 1 - phi(t - mu);
    fpr.push(round(f));
    tpr.push(round(r));
    const p = r * prevalence + f * (1 - prevalence);
    recall.push(round(r));
    precision.push(round(p > 0 ? (r * prevalence) / p : 1));
  }
  fpr.push(1);
  tpr.push(1);
  return { roc: { fpr, tpr }, pr: { recall, precision } };
}

function calibration(rows: number, bias: number): NonNullable<Curves['calibration']> {
  const out: NonNullable<Curves['calibration']> = [];
  for (let i = 0; i < 10; i++) {
    const lower = i / 10;
    const upper = (i + 1) / 10;
    const count = Math.round(rows * 0.62 * Math.exp(-i * 0.75) + 40);
    const meanPredicted = round(lower + 0.05 + (i === 0 ? -0.03 : 0), 3);
    const fractionPositive = round(Math.min(1, Math.max(0, meanPredicted - bias * Math.sin(meanPredicted * Math.PI))), 3);
    out.push({ lower, upper, count, meanPredicted, fractionPositive });
  }
  return out;
}

function delta(metric: string, champion: number, challenger: number, halfWidth: number, higherIsBetter = true): MetricDelta {
  const d = round(challenger - champion, 5);
  const low = round(d - halfWidth, 5);
  const high = round(d + halfWidth, 5);
  const excludesZero = low > 0 || high < 0;
  const better = higherIsBetter ? low > 0 : high < 0;
  return {
    metric,
    champion,
    challenger,
    delta: d,
    low,
    high,
    higherIsBetter,
    verdict: excludesZero ? (better ? 'better' : 'worse') : 'unchanged',
    quantiles: [round(d - halfWidth * 1.3, 5), low, round(d - halfWidth * 0.84, 5), d, round(d + halfWidth * 0.84, 5), high, round(d + halfWidth * 1.3, 5)],
  };
}

const BINARY_ROWS = 48_213;

function fraudSlices(): SliceResult[] {
  const s = (family: string, label: string, kind: SliceResult['kind'], support: number, accuracy: number, auc: number, filter?: string): SliceResult => ({
    family,
    label,
    kind,
    support,
    ...(filter === undefined ? {} : { filter }),
    metrics: { roc_auc: auc, accuracy, f1: round(accuracy - 0.21, 4), recall: round(accuracy - 0.17, 4) },
  });
  return [
    s('region', 'EU', 'category', 14_820, 0.9137, 0.9204),
    s('region', 'US', 'category', 21_904, 0.9548, 0.9391),
    s('region', 'APAC', 'category', 8_377, 0.9481, 0.9322),
    s('region', 'LATAM', 'category', 3_112, 0.9402, 0.9177),
    s('channel', 'web', 'category', 30_551, 0.9466, 0.9351),
    s('channel', 'mobile', 'category', 17_662, 0.9391, 0.9288),
    s('amount', '[0, 25)', 'quantile', 12_050, 0.9602, 0.9012),
    s('amount', '[25, 120)', 'quantile', 12_060, 0.9511, 0.9274),
    s('amount', '[120, 480)', 'quantile', 12_049, 0.9377, 0.9402),
    s('amount', '[480, +inf)', 'quantile', 12_054, 0.9215, 0.9468),
    s('named', 'new customers', 'named', 2_431, 0.9012, 0.8876, 'account_age_days < 30'),
    s('named', 'cross-border', 'named', 57, 0.8772, 0.8519, "country != merchant_country AND amount > 1000"),
  ];
}

function fraudSliceDeltas(slices: SliceResult[]): SliceDelta[] {
  const changes: Record<string, [number, number, number, number]> = {
    // roc_auc delta, half width, accuracy delta, half width
    EU: [-0.0151, 0.006, -0.041, 0.012],
    US: [0.0322, 0.007, 0.0074, 0.005],
    APAC: [0.0241, 0.01, 0.0031, 0.007],
    LATAM: [0.0102, 0.019, -0.0052, 0.013],
    web: [0.0233, 0.006, 0.0021, 0.004],
    mobile: [0.0171, 0.008, -0.0033, 0.005],
    '[0, 25)': [0.0118, 0.011, 0.0011, 0.004],
    '[25, 120)': [0.0196, 0.009, 0.0019, 0.005],
    '[120, 480)': [0.0263, 0.009, -0.0012, 0.005],
    '[480, +inf)': [0.0301, 0.008, -0.0103, 0.007],
    'new customers': [-0.0204, 0.031, -0.0161, 0.021],
    'cross-border': [-0.0624, 0.171, -0.0351, 0.098],
  };
  const deltas: SliceDelta[] = slices.map((s) => {
    const [da, ha, dc, hc] = changes[s.label] ?? [0, 0.01, 0, 0.01];
    const auc = s.metrics.roc_auc ?? 0.9;
    const acc = s.metrics.accuracy ?? 0.9;
    return {
      family: s.family,
      label: s.label,
      kind: s.kind,
      support: s.support,
      deltas: [delta('roc_auc', round(auc - da), auc, ha), delta('accuracy', round(acc - dc), acc, hc)],
    };
  });
  const regressed = (d: SliceDelta): boolean => d.deltas.some((m) => m.verdict === 'worse');
  const auc = (d: SliceDelta): number => d.deltas[0]?.delta ?? 0;
  return deltas.sort((a, b) => Number(regressed(b)) - Number(regressed(a)) || auc(a) - auc(b));
}

function fraudGate(failing: boolean): GateRuleResult[] {
  return [
    {
      index: 1,
      rule: 'roc_auc >= 0.85',
      kind: 'min',
      passed: true,
      observed: 0.9333,
      threshold: 0.85,
      reason: 'ROC AUC is 93.3%, above the required 85.0%.',
    },
    {
      index: 2,
      rule: 'roc_auc no_regression vs production',
      kind: 'no_regression',
      passed: true,
      observed: 0.021,
      threshold: 0,
      reason: 'ROC AUC did not get worse than production (v3): it rose by 2.1 points.',
    },
    failing
      ? {
          index: 3,
          rule: 'accuracy per region: no drop beyond 0.01',
          kind: 'slice_no_regression',
          passed: false,
          observed: -0.041,
          threshold: -0.01,
          reason: 'Accuracy on slice region=EU fell by 4.1 points (needed: no drop beyond 1 point).',
          failures: [{ slice: 'region = EU', observed: -0.041, threshold: -0.01 }],
        }
      : {
          index: 3,
          rule: 'accuracy per region: no drop beyond 0.01',
          kind: 'slice_no_regression',
          passed: true,
          observed: -0.0052,
          threshold: -0.01,
          reason: 'No region lost more than 1 point of accuracy (the largest drop: 0.5 points, LATAM).',
        },
    failing
      ? {
          index: 4,
          rule: 'disparate_impact_ratio(gender) >= 0.8',
          kind: 'fairness',
          passed: false,
          observed: 0.7612,
          threshold: 0.8,
          reason: 'Women are flagged 0.76 times as often as men (needed: at least 0.8 times).',
        }
      : {
          index: 4,
          rule: 'disparate_impact_ratio(gender) >= 0.8',
          kind: 'fairness',
          passed: true,
          observed: 0.8731,
          threshold: 0.8,
          reason: 'Every gender group is flagged at least 0.87 times as often as the most-flagged one (needed: 0.8).',
        },
    {
      index: 5,
      rule: 'latency_p99_ms <= 50',
      kind: 'latency',
      passed: true,
      observed: 18.4,
      threshold: 50,
      reason: '99 in 100 single-row predictions took at most 18.4 ms (allowed: 50 ms).',
    },
    {
      index: 6,
      rule: 'artifact_size <= 100MB',
      kind: 'artifact_size',
      passed: true,
      observed: 23_456_789,
      threshold: 104_857_600,
      reason: 'The model file is 22.4 MB (allowed: 100 MB).',
    },
  ];
}

/** Binary fraud model v4 against production v3: better overall, but the gate fails on region=EU and on fairness. */
export function binaryGateFailing(): EvaluationReport {
  const slices = fraudSlices();
  const positives = 3_857;
  const negatives = BINARY_ROWS - positives;
  const tp = 2_891;
  const fp = 1_204;
  return {
    id: 'ev_01JD8X4W6T3Q9R2M5N7K1P0B8C',
    createdAt: '2026-11-20T14:32:08.512Z',
    model: { name: 'fraud-detector', version: 4, runtime: 'onnx' },
    dataset: { name: 'transactions-holdout', version: 12, digest: 'sha256:9f2c4e1ab37d0c5e88f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7', rows: BINARY_ROWS },
    task: 'binary',
    labelColumn: 'is_fraud',
    classes: ['legit', 'fraud'],
    primaryMetric: 'roc_auc',
    metrics: {
      roc_auc: 0.9333,
      average_precision: 0.7418,
      accuracy: 0.9450,
      balanced_accuracy: 0.8618,
      precision: round(tp / (tp + fp)),
      recall: round(tp / positives),
      f1: 0.7275,
      log_loss: 0.1487,
      brier_score: 0.0412,
      expected_calibration_error: 0.0231,
    },
    perClass: [
      { label: 'legit', precision: 0.9783, recall: 0.9728, f1: 0.9755, support: negatives },
      { label: 'fraud', precision: round(tp / (tp + fp)), recall: round(tp / positives), f1: 0.7275, support: positives },
    ],
    confusion: { labels: ['legit', 'fraud'], matrix: [[negatives - fp, fp], [positives - tp, tp]] },
    curves: { ...binormalCurves(2.12, positives / BINARY_ROWS), calibration: calibration(BINARY_ROWS, 0.04) },
    slices,
    fairness: [
      {
        column: 'gender',
        groups: [
          { value: 'F', support: 22_410, selectionRate: 0.0688, truePositiveRate: 0.7211, falsePositiveRate: 0.0208 },
          { value: 'M', support: 24_977, selectionRate: 0.0904, truePositiveRate: 0.7702, falsePositiveRate: 0.0292 },
          { value: 'unknown', support: 826, selectionRate: 0.0823, truePositiveRate: 0.7391, falsePositiveRate: 0.0277 },
        ],
        demographicParityDifference: 0.0216,
        equalOpportunityDifference: 0.0491,
        equalizedOddsDifference: 0.0491,
        disparateImpactRatio: 0.7612,
      },
      {
        column: 'age_band',
        groups: [
          { value: '18-29', support: 11_204, selectionRate: 0.0912, truePositiveRate: 0.7688, falsePositiveRate: 0.0301 },
          { value: '30-49', support: 20_118, selectionRate: 0.0807, truePositiveRate: 0.7512, falsePositiveRate: 0.0244 },
          { value: '50-64', support: 11_530, selectionRate: 0.0779, truePositiveRate: 0.7433, falsePositiveRate: 0.0239 },
          { value: '65+', support: 5_361, selectionRate: 0.0751, truePositiveRate: 0.7290, falsePositiveRate: 0.0231 },
        ],
        demographicParityDifference: 0.0161,
        equalOpportunityDifference: 0.0398,
        equalizedOddsDifference: 0.0398,
        disparateImpactRatio: 0.8235,
      },
    ],
    latency: { samples: 2_000, p50Ms: 4.21, p99Ms: 18.4, rowsPerSecond: 61_250 },
    artifactSizeBytes: 23_456_789,
    comparison: {
      alias: 'production',
      champion: { name: 'fraud-detector', version: 3, runtime: 'onnx' },
      confidence: 0.95,
      resamples: 2_000,
      seed: 20261120,
      quantileLevels: [0.005, 0.025, 0.05, 0.5, 0.95, 0.975, 0.995],
      metrics: [
        delta('roc_auc', 0.9123, 0.9333, 0.009),
        delta('average_precision', 0.7102, 0.7418, 0.014),
        delta('accuracy', 0.9441, 0.945, 0.0021),
        delta('balanced_accuracy', 0.8507, 0.8618, 0.006),
        delta('precision', 0.7188, 0.706, 0.0101),
        delta('recall', 0.7281, 0.7496, 0.0093),
        delta('f1', 0.7234, 0.7275, 0.0072),
        delta('log_loss', 0.1561, 0.1487, 0.0041, false),
        delta('brier_score', 0.0398, 0.0412, 0.0011, false),
        delta('expected_calibration_error', 0.0187, 0.0231, 0.0052, false),
      ],
      mcnemar: { b: 412, c: 455, statistic: 2.034, pValue: 0.1539, exact: false },
      slices: fraudSliceDeltas(slices),
    },
    gate: { policyVersion: 7, passed: false, rules: fraudGate(true) },
    warnings: ['212 rows were skipped because the label (is_fraud) was missing.'],
  };
}

/** The same fraud model with every release check passing. */
export function binaryGatePassing(): EvaluationReport {
  const r = binaryGateFailing();
  return { ...r, id: 'ev_01JD8X9A1B2C3D4E5F6G7H8J9K', gate: { policyVersion: 7, passed: true, rules: fraudGate(false) }, warnings: [] };
}

/** A churn model significantly worse than production on its primary metric, evaluated without a release gate. */
export function binaryWorseNoGate(): EvaluationReport {
  const r = binaryGateFailing();
  const cmp = r.comparison;
  if (!cmp) throw new Error('fixture has a comparison');
  return {
    ...r,
    id: 'ev_01JD9C0M8W2XQ4E7R1T5Y3U6I9',
    model: { name: 'churn-predictor', version: 9, runtime: 'column' },
    dataset: { ...r.dataset, name: 'customers-march', version: 3 },
    labelColumn: 'churned',
    classes: ['stayed', 'churned'],
    metrics: { ...r.metrics, roc_auc: 0.8712 },
    gate: undefined,
    fairness: undefined,
    comparison: {
      ...cmp,
      alias: 'production',
      champion: { name: 'churn-predictor', version: 8, runtime: 'column' },
      metrics: [delta('roc_auc', 0.8921, 0.8712, 0.0081), delta('accuracy', 0.861, 0.8577, 0.004), delta('f1', 0.6012, 0.5874, 0.0101)],
      mcnemar: { b: 611, c: 498, statistic: 11.31, pValue: 0.00077, exact: false },
    },
    warnings: [],
  };
}

const TICKET_CLASSES = ['billing', 'bug report', 'feature request', 'account access', 'other'];

/** A five-class support-ticket router compared with production (no significant change), no curves, no gate. */
export function multiclass(): EvaluationReport {
  const matrix = [
    [1_842, 41, 12, 63, 38],
    [29, 1_377, 144, 22, 51],
    [8, 167, 902, 6, 49],
    [71, 18, 4, 1_204, 27],
    [55, 73, 61, 39, 488],
  ];
  const support = matrix.map((row) => row.reduce((a, b) => a + b, 0));
  const predicted = TICKET_CLASSES.map((_, j) => matrix.reduce((a, row) => a + (row[j] ?? 0), 0));
  const rows = support.reduce((a, b) => a + b, 0);
  const perClass = TICKET_CLASSES.map((label, i) => {
    const tp = matrix[i]?.[i] ?? 0;
    const precision = round(tp / (predicted[i] ?? 1));
    const recall = round(tp / (support[i] ?? 1));
    return { label, precision, recall, f1: round((2 * precision * recall) / (precision + recall)), support: support[i] ?? 0 };
  });
  const correct = matrix.reduce((a, row, i) => a + (row[i] ?? 0), 0);
  const accuracy = round(correct / rows);
  const macro = (k: 'precision' | 'recall' | 'f1'): number => round(perClass.reduce((a, p) => a + p[k], 0) / perClass.length);
  const slices: SliceResult[] = [
    { family: 'language', label: 'en', kind: 'category', support: 6_102, metrics: { f1_macro: 0.8211, accuracy: 0.8488 } },
    { family: 'language', label: 'de', kind: 'category', support: 1_288, metrics: { f1_macro: 0.7702, accuracy: 0.8051 } },
    { family: 'language', label: 'fr', kind: 'category', support: 901, metrics: { f1_macro: 0.7519, accuracy: 0.7923 } },
    { family: 'language', label: 'ja', kind: 'category', support: 0, metrics: { f1_macro: Number.NaN, accuracy: Number.NaN } },
    { family: 'text_length', label: '[0, 80)', kind: 'quantile', support: 2_071, metrics: { f1_macro: 0.7344, accuracy: 0.7788 } },
    { family: 'text_length', label: '[80, 400)', kind: 'quantile', support: 4_150, metrics: { f1_macro: 0.8261, accuracy: 0.8515 } },
    { family: 'text_length', label: '[400, +inf)', kind: 'quantile', support: 2_070, metrics: { f1_macro: 0.8302, accuracy: 0.8577 } },
  ];
  return {
    id: 'ev_01JDA7H3K5M7N9P1Q3R5S7T9V1',
    createdAt: '2026-11-21T09:05:44.001Z',
    model: { name: 'ticket-router', version: 12, runtime: 'http' },
    dataset: { name: 'support-tickets-q3', version: 2, digest: 'sha256:41be07d2c9aa3f5e6d7c8b9a0f1e2d3c4b5a69788776655443322110ffeeddcc', rows },
    task: 'multiclass',
    labelColumn: 'queue',
    classes: TICKET_CLASSES,
    primaryMetric: 'f1_macro',
    metrics: {
      f1_macro: macro('f1'),
      precision_macro: macro('precision'),
      recall_macro: macro('recall'),
      accuracy,
      balanced_accuracy: macro('recall'),
      roc_auc_ovr: 0.9612,
      log_loss: 0.5128,
    },
    perClass,
    confusion: { labels: TICKET_CLASSES, matrix },
    slices,
    latency: { samples: 500, p50Ms: 38.2, p99Ms: 141.7, rowsPerSecond: 812 },
    comparison: {
      alias: 'production',
      champion: { name: 'ticket-router', version: 11, runtime: 'http' },
      confidence: 0.95,
      resamples: 1_000,
      seed: 7,
      quantileLevels: [0.025, 0.5, 0.975],
      metrics: [
        delta('f1_macro', round(macro('f1') - 0.0042), macro('f1'), 0.0091),
        delta('accuracy', round(accuracy - 0.0061), accuracy, 0.0052),
        delta('log_loss', 0.5301, 0.5128, 0.0211, false),
      ],
      mcnemar: { b: 301, c: 352, statistic: 3.83, pValue: 0.0504, exact: false },
      slices: slices
        .filter((s) => s.support > 0)
        .map((s, i) => ({
          family: s.family,
          label: s.label,
          kind: s.kind,
          support: s.support,
          deltas: [delta('f1_macro', round((s.metrics.f1_macro ?? 0) - [0.006, -0.011, 0.019, 0.002, 0.009, -0.003][i]!), s.metrics.f1_macro ?? 0, 900 / Math.max(1, s.support) / 20 + 0.006)],
        })),
    },
    warnings: ['No rows in slice language=ja: its metrics are undefined.'],
  };
}

/** A house-price regression model without a champion; MAPE is undefined because some prices are 0. */
export function regressionNoChampion(): EvaluationReport {
  return {
    id: 'ev_01JDB2Z9Y8X7W6V5U4T3S2R1Q0',
    createdAt: '2026-11-21T17:48:30.000Z',
    model: { name: 'house-price', version: 1, runtime: 'onnx' },
    dataset: { name: 'listings-2026-10', version: 1, digest: 'sha256:0c7d5e3f1a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d', rows: 20_640 },
    task: 'regression',
    labelColumn: 'price_k',
    primaryMetric: 'rmse',
    metrics: { rmse: 48.7312, mae: 31.90455, mse: 2374.73, r2: 0.8213, median_absolute_error: 21.3748, mape: Number.NaN },
    slices: [
      { family: 'city', label: 'Lisbon', kind: 'category', support: 6_212, metrics: { rmse: 61.204, mae: 40.11, r2: 0.7611 } },
      { family: 'city', label: 'Porto', kind: 'category', support: 4_877, metrics: { rmse: 44.318, mae: 29.02, r2: 0.8302 } },
      { family: 'city', label: 'Braga', kind: 'category', support: 2_115, metrics: { rmse: 35.902, mae: 24.4, r2: 0.8407 } },
      { family: 'bedrooms', label: '[0, 2)', kind: 'quantile', support: 5_160, metrics: { rmse: 29.771, mae: 19.65, r2: 0.7903 } },
      { family: 'bedrooms', label: '[2, 4)', kind: 'quantile', support: 10_320, metrics: { rmse: 45.002, mae: 30.1, r2: 0.8114 } },
      { family: 'bedrooms', label: '[4, +inf)', kind: 'quantile', support: 5_160, metrics: { rmse: 72.65, mae: 49.87, r2: 0.6932 } },
    ],
    latency: { samples: 1_000, p50Ms: 0.812, p99Ms: 2.94, rowsPerSecond: 245_000 },
    artifactSizeBytes: 1_843_200,
    warnings: ['MAPE is undefined: 14 rows have a price of 0.', '37 rows were skipped because price_k was missing.'],
  };
}

/** The failing binary report with `n` region slices, for size limits. */
export function manySlices(n = 200): EvaluationReport {
  const r = binaryGateFailing();
  const cmp = r.comparison;
  if (!cmp) throw new Error('fixture has a comparison');
  const slices: SliceResult[] = [];
  const deltas: SliceDelta[] = [];
  for (let i = 0; i < n; i++) {
    const support = 40 + ((i * 7919) % 3000);
    const auc = round(0.88 + ((i * 37) % 100) / 1000);
    const d = round((((i * 53) % 90) - 40) / 1000, 4);
    const s: SliceResult = { family: 'store_id', label: `S-${String(i).padStart(4, '0')}`, kind: 'category', support, metrics: { roc_auc: auc, accuracy: 0.93 } };
    slices.push(s);
    deltas.push({ family: s.family, label: s.label, kind: s.kind, support, deltas: [delta('roc_auc', round(auc - d), auc, 0.6 / Math.sqrt(support))] });
  }
  return { ...r, slices, comparison: { ...cmp, slices: deltas } };
}

/** A fifteen-class image classifier without comparison: a larger confusion matrix with long class names. */
export function multiclassMany(): EvaluationReport {
  const labels = [
    'airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck',
    'traffic light', 'fire hydrant', 'stop sign', 'parking meter', 'bench (outdoor seating)',
  ];
  const matrix = labels.map((_, i) => labels.map((__, j) => (i === j ? 400 + ((i * 37) % 160) : ((i * 13 + j * 7) % 23) === 0 ? 31 : (i * 3 + j) % 9)));
  const base = multiclass();
  return {
    ...base,
    id: 'ev_01JDC4F5G6H7J8K9L0M1N2P3Q4',
    model: { name: 'scene-tagger', version: 3, runtime: 'onnx' },
    dataset: { ...base.dataset, name: 'scenes-val', rows: matrix.flat().reduce((a, b) => a + b, 0) },
    labelColumn: 'tag',
    classes: labels,
    primaryMetric: 'accuracy',
    metrics: { accuracy: 0.8731, f1_macro: 0.8612, roc_auc_ovr: 0.9877 },
    perClass: labels.map((label, i) => ({ label, precision: 0.8 + (i % 5) / 50, recall: 0.82 + (i % 4) / 40, f1: 0.83 + (i % 3) / 50, support: matrix[i]!.reduce((a, b) => a + b, 0) })),
    confusion: { labels, matrix },
    slices: [],
    comparison: undefined,
    warnings: [],
  };
}
