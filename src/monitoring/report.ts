/**
 * The drift report for a non-ML reader: did the data move, which columns, how much, whether that is beyond
 * sampling noise, and what the data-quality checks found. One document model, rendered as a self-contained HTML
 * page (inline SVG histograms of reference vs current) or Markdown, with the scorecard's renderers.
 */
import { renderDocumentHtml, renderDocumentMarkdown, type Block, type Cell, type ReportDocument, type Section, type Tile } from '../evaluation/scorecard/index.js';
import { escapeHtml } from '../evaluation/scorecard/svg.js';
import { METHOD_NAMES, P_VALUE_METHODS, type ColumnDrift, type DriftResult, type Histogram } from './drift.js';
import type { QualityResult } from './quality.js';

export interface DriftReport {
  title?: string;
  generatedAt: string;
  reference: { label: string; rows: number };
  current: { label: string; rows: number };
  drift: DriftResult;
  quality: QualityResult;
  /** How much the model depends on each input (permutation importance), when the model could be run. */
  importance?: Record<string, number>;
}

const pct = (v: number): string => `${(100 * v).toFixed(Math.abs(v) < 0.1 && v !== 0 ? 1 : 0)}%`;
const int = (v: number): string => Math.round(v).toLocaleString('en-US');
export function num(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return 'n/a';
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(2);
  return Number(v.toPrecision(3)).toString();
}

/** How far past its threshold a column is (> 1 drifted), for ranking: p-values on a log scale. */
export function severity(c: ColumnDrift): number {
  if (c.statistic === null) return -1;
  if (c.pValue !== null) {
    const p = Math.max(c.adjustedPValue ?? c.pValue, 1e-300);
    return Math.log(p) / Math.log(c.threshold);
  }
  return c.statistic / c.threshold;
}

/** Drifted columns first; among them, those the model depends on most (when known), then by how far past. */
export function rankedColumns(d: DriftResult, importance: Record<string, number> = {}): ColumnDrift[] {
  const imp = (c: ColumnDrift) => importance[c.column] ?? -1;
  return [...d.columns].sort((a, b) => Number(b.drifted) - Number(a.drifted) || (a.drifted ? imp(b) - imp(a) : 0) || severity(b) - severity(a));
}

function beyondNoise(c: ColumnDrift): boolean | null {
  if (c.statistic === null || c.noise === null) return null;
  return c.statistic > c.noise;
}

function statisticCell(c: ColumnDrift): Cell {
  if (c.statistic === null) return { text: 'not enough data', tone: 'muted' };
  if (c.pValue !== null) return { text: `p = ${num(c.adjustedPValue ?? c.pValue)} (${num(c.statistic)})`, title: `test statistic ${c.statistic}` };
  return { text: num(c.statistic) };
}

export function buildDriftDocument(r: DriftReport): ReportDocument {
  const d = r.drift;
  const importance = r.importance ?? {};
  const known = Object.keys(importance).length > 0;
  const ranked = rankedColumns(d, importance);
  const matters = (c: ColumnDrift) => (importance[c.column] === undefined ? '' : `; shuffling it changes ${pct(importance[c.column]!)} of the model's answers`);
  const drifted = ranked.filter((c) => c.drifted);
  const insufficient = d.columns.filter((c) => c.status === 'insufficient');
  const judged = d.columns.length - insufficient.length;
  const issues = r.quality.issues;

  const headline =
    d.verdict === 'insufficient_data' || judged === 0
      ? `Not enough data to judge drift${d.insufficientReason ? `: ${d.insufficientReason}` : ''}.`
      : d.datasetDrift
        ? `The data has drifted: ${drifted.length} of ${judged} columns moved (${pct(d.driftedShare)}, threshold ${pct(d.driftShareThreshold)}).`
        : drifted.length > 0
          ? `${drifted.length} of ${judged} columns moved (${pct(d.driftedShare)}), below the ${pct(d.driftShareThreshold)} that counts as dataset drift.`
          : `No column moved beyond its threshold (${judged} checked).`;
  const notes: string[] = [];
  for (const c of drifted.slice(0, 5)) notes.push(`${c.column}: ${c.change} (${METHOD_NAMES[c.method]} ${c.pValue !== null ? `p = ${num(c.adjustedPValue ?? c.pValue)}` : num(c.statistic)}${matters(c)}).`);
  if (drifted.length > 5) notes.push(`…and ${drifted.length - 5} more columns (see the table).`);
  if (issues.length > 0) notes.push(`${issues.length} data-quality issue${issues.length === 1 ? '' : 's'}: ${issues.slice(0, 2).map((i) => i.message).join(' ')}${issues.length > 2 ? ' …' : ''}`);
  if (insufficient.length > 0) notes.push(`${insufficient.length} column${insufficient.length === 1 ? ' has' : 's have'} too little data to judge: ${insufficient.slice(0, 5).map((c) => c.column).join(', ')}.`);
  const tone = d.verdict === 'insufficient_data' || judged === 0 ? 'neutral' : d.datasetDrift || issues.length > 0 ? 'bad' : drifted.length > 0 ? 'neutral' : 'good';

  const tiles: Tile[] = [
    { label: 'Columns drifted', value: `${drifted.length} / ${judged}`, sub: `dataset drift at ≥ ${pct(d.driftShareThreshold)}`, ...(d.datasetDrift ? { tone: 'bad' as const } : {}) },
    { label: 'Data-quality issues', value: String(issues.length), ...(issues.length > 0 ? { tone: 'bad' as const } : { tone: 'good' as const }) },
    { label: 'Reference rows', value: int(r.reference.rows), sub: r.reference.label },
    { label: 'Current rows', value: int(r.current.rows), sub: r.current.label },
  ];

  const sections: Section[] = [];
  sections.push({
    id: 'columns',
    title: 'What moved',
    blocks: [
      {
        kind: 'p',
        text: `${known ? 'Drifted columns the model depends on most first. ' : 'Columns most past their threshold first. '}"Noise" is the value the statistic stays under 95% of the time when nothing changed, at these sample sizes: a statistic under it is indistinguishable from sampling noise.`,
        muted: true,
      },
      {
        kind: 'table',
        table: {
          columns: [
            { label: 'Column' },
            { label: 'Drifted' },
            { label: 'Change' },
            { label: 'Method' },
            { label: 'Statistic', numeric: true },
            { label: 'Threshold', numeric: true },
            { label: 'Noise (95%)', numeric: true },
            ...(known ? [{ label: 'Model depends on it', numeric: true }] : []),
          ],
          rows: ranked.map((c) => [
            { text: c.column, strong: c.drifted, code: true },
            c.status === 'insufficient' ? { text: 'not enough data', tone: 'muted' } : c.drifted ? { text: 'yes', tone: 'bad' } : { text: 'no', tone: 'good' },
            { text: c.change },
            { text: METHOD_NAMES[c.method] },
            statisticCell(c),
            { text: P_VALUE_METHODS.has(c.method) ? `p < ${num(c.threshold)}` : `≥ ${num(c.threshold)}` },
            { text: c.noise === null ? 'n/a' : `${num(c.noise)}${beyondNoise(c) ? '' : ' (within)'}`, ...(beyondNoise(c) === false ? { tone: 'muted' as const } : {}) },
            ...(known ? [{ text: importance[c.column] === undefined ? '—' : pct(importance[c.column]!), title: 'share of the model’s answers that change when this column is shuffled' }] : []),
          ]),
        },
      },
      ...(d.correction === 'bh' ? [{ kind: 'p' as const, text: 'p-values are adjusted across columns (Benjamini–Hochberg), so testing many columns does not inflate false alarms.', muted: true }] : []),
    ],
  });

  const charts = ranked.slice(0, 40).map((c) => ({ id: c.column, svg: histogramSvg(c) }));
  sections.push({
    id: 'distributions',
    title: 'Reference vs current',
    blocks: [{ kind: 'charts', charts, fallback: [] }],
  });

  const qualityBlocks: Block[] = [];
  if (issues.length === 0) qualityBlocks.push({ kind: 'p', text: 'No data-quality issue: missing values, ranges, categories, types and columns match the reference within the thresholds.' });
  else qualityBlocks.push({ kind: 'list', items: issues.map((i) => i.message), tone: 'bad' });
  qualityBlocks.push({
    kind: 'table',
    table: {
      columns: [{ label: 'Column' }, { label: 'Missing', numeric: true }, { label: 'Reference missing', numeric: true }, { label: 'Out of range', numeric: true }, { label: 'New categories', numeric: true }, { label: 'Wrong type', numeric: true }],
      rows: r.quality.columns.map((q) => [
        { text: q.column, code: true },
        { text: pct(q.missingShare) },
        { text: pct(q.referenceMissingShare), tone: 'muted' },
        { text: q.outOfRangeShare === null ? '—' : pct(q.outOfRangeShare) },
        { text: q.newCategoryShare === null ? '—' : pct(q.newCategoryShare), ...(q.newCategories.length > 0 ? { title: q.newCategories.join(', ') } : {}) },
        { text: pct(q.typeMismatchShare) },
      ]),
    },
  });
  sections.push({ id: 'quality', title: 'Data quality', blocks: qualityBlocks });

  sections.push({
    id: 'method',
    title: 'How this was measured',
    blocks: [
      {
        kind: 'list',
        items: [
          'Numbers: Kolmogorov–Smirnov test (p < 0.05) with up to 1,000 reference rows, otherwise the Wasserstein distance divided by the reference standard deviation (≥ 0.1 is drift).',
          'Categories and numbers with at most 5 values: chi-square test (Z-test for two values) up to 1,000 reference rows, otherwise the Jensen–Shannon distance (≥ 0.1 is drift).',
          `The dataset drifts when at least ${pct(d.driftShareThreshold)} of the columns with enough data drift.`,
          'PSI, KL, Jensen–Shannon and Hellinger on numbers use ten equal-frequency bins of the reference; empty bins are smoothed, so no value is infinite.',
        ],
      },
    ],
  });

  return {
    title: r.title ?? 'Drift report',
    subtitle: `${r.current.label} (${int(r.current.rows)} rows) against ${r.reference.label} (${int(r.reference.rows)} rows) · ${r.generatedAt.replace('T', ' ').slice(0, 16)} UTC`,
    verdict: { headline, tone, notes, tag: tone === 'good' ? 'Stable' : tone === 'bad' ? 'Drift' : 'For information' },
    tiles,
    sections,
    footer: 'Drift report generated by Slipway',
  };
}

export const renderDriftHtml = (r: DriftReport): string => renderDocumentHtml(buildDriftDocument(r));
export const renderDriftMarkdown = (r: DriftReport): string => renderDocumentMarkdown(buildDriftDocument(r));

/** Grouped bars of the share of rows per bin: reference grey, current blue (red when the column drifted). */
export function histogramSvg(c: ColumnDrift): string {
  const h: Histogram = c.histogram;
  const MAX = 12;
  let labels = h.labels ?? binLabels(h.edges ?? []);
  let ref = h.reference;
  let cur = h.current;
  if (labels.length > MAX) {
    // Keep the categories that carry the most rows; pool the rest.
    const keep = labels.map((_, i) => i).sort((a, b) => ref[b]! + cur[b]! - ref[a]! - cur[a]!).slice(0, MAX - 1).sort((a, b) => a - b);
    const rest = labels.map((_, i) => i).filter((i) => !keep.includes(i));
    labels = [...keep.map((i) => labels[i]!), `(${rest.length} more)`];
    ref = [...keep.map((i) => ref[i]!), rest.reduce((a, i) => a + ref[i]!, 0)];
    cur = [...keep.map((i) => cur[i]!), rest.reduce((a, i) => a + cur[i]!, 0)];
  }
  const rt = ref.reduce((a, b) => a + b, 0) || 1;
  const ct = cur.reduce((a, b) => a + b, 0) || 1;
  const rs = ref.map((v) => v / rt);
  const cs = cur.map((v) => v / ct);
  const W = 340;
  const H = 190;
  const left = 34;
  const bottom = 44;
  const top = 26;
  const plotW = W - left - 8;
  const plotH = H - top - bottom;
  const max = Math.max(0.0001, ...rs, ...cs);
  const bw = plotW / Math.max(1, labels.length);
  const y = (v: number) => top + plotH - (v / max) * plotH;
  const r1 = (v: number) => Math.round(v * 10) / 10;
  const curColor = c.drifted ? '#dc2626' : '#2563eb';
  const bars = labels
    .map((l, i) => {
      const x = left + i * bw;
      const w = Math.max(1, bw / 2 - 1.5);
      const label = l.length > 9 ? `${l.slice(0, 8)}…` : l;
      return (
        `<rect x="${r1(x + 1)}" y="${r1(y(rs[i]!))}" width="${r1(w)}" height="${r1(top + plotH - y(rs[i]!))}" fill="#9ca3af"><title>${escapeHtml(`${l}: reference ${pct(rs[i]!)}`)}</title></rect>` +
        `<rect x="${r1(x + 1 + w + 1)}" y="${r1(y(cs[i]!))}" width="${r1(w)}" height="${r1(top + plotH - y(cs[i]!))}" fill="${curColor}"><title>${escapeHtml(`${l}: current ${pct(cs[i]!)}`)}</title></rect>` +
        `<text x="${r1(x + bw / 2)}" y="${H - bottom + 12}" font-size="9" text-anchor="end" transform="rotate(-35 ${r1(x + bw / 2)} ${H - bottom + 12})" fill="#374151">${escapeHtml(label)}</text>`
      );
    })
    .join('');
  const title = `${c.column}: ${c.drifted ? 'drifted' : 'stable'}`;
  const desc = `Share of rows per ${h.labels ? 'category' : 'bin'}, reference (grey) and current (${c.drifted ? 'red' : 'blue'}). ${c.change}.`;
  return (
    `<svg class="chart" role="img" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" xmlns="http://www.w3.org/2000/svg"><title>${escapeHtml(title)}</title><desc>${escapeHtml(desc)}</desc>` +
    `<text x="${left}" y="15" font-size="12" font-weight="600" fill="#1f2937">${escapeHtml(c.column)}</text>` +
    `<text x="${W - 8}" y="15" font-size="10" text-anchor="end" fill="${c.drifted ? '#b91c1c' : '#6b7280'}">${escapeHtml(c.statistic === null ? 'not enough data' : `${METHOD_NAMES[c.method]} ${c.pValue !== null ? `p=${num(c.adjustedPValue ?? c.pValue)}` : num(c.statistic)}`)}</text>` +
    `<line x1="${left}" y1="${top + plotH}" x2="${W - 8}" y2="${top + plotH}" stroke="#e5e7eb"/>` +
    `<text x="${left - 4}" y="${r1(top + 4)}" font-size="9" text-anchor="end" fill="#6b7280">${escapeHtml(pct(max))}</text>` +
    bars +
    '</svg>'
  );
}

function binLabels(edges: number[]): string[] {
  const out: string[] = [];
  for (let i = 1; i < edges.length; i++) {
    // A repeated edge (a constant reference's value) splits below / at / above it.
    if (i < edges.length - 1 && edges[i] === edges[i + 1]) out.push(`<${num(edges[i]!)}`);
    else if (i > 1 && i < edges.length - 1 && edges[i] === edges[i - 1]) out.push(`=${num(edges[i]!)}`);
    else out.push(i === 1 ? `≤${num(edges[1]!)}` : i === edges.length - 1 ? `>${num(edges[i - 1]!)}` : `≤${num(edges[i]!)}`);
  }
  return out;
}
