/**
 * Small inline-SVG charts for the HTML scorecard: no library, no scripts, no external references. Every chart is an
 * `<svg role="img">` whose first child is a `<title>` (its accessible name) followed by a `<desc>`. Coordinates are
 * rounded to 0.1 px to keep the page small.
 */
import type { Curves, MetricDelta } from '../report.js';
import { MINUS, capitalize, deltaValue, integer, isNum, isProportion, metricName, pct, sig } from './format.js';

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;'));
}

const COLORS = {
  axis: '#6b7280',
  grid: '#e5e7eb',
  text: '#374151',
  line: '#2563eb',
  reference: '#9ca3af',
  good: '#16a34a',
  bad: '#dc2626',
  neutral: '#6b7280',
  bar: '#cbd5e1',
};

const r1 = (v: number): string => String(Math.round(v * 10) / 10);

interface Box {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

interface Scale {
  (v: number): number;
  domain: [number, number];
}

function scale(d0: number, d1: number, p0: number, p1: number): Scale {
  const k = d1 === d0 ? 0 : (p1 - p0) / (d1 - d0);
  const f = ((v: number) => p0 + (v - d0) * k) as Scale;
  f.domain = [d0, d1];
  return f;
}

/** Round tick values covering [lo, hi]: steps of 1, 2 or 5 times a power of ten. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!isNum(lo) || !isNum(hi)) return [];
  if (lo === hi) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) ticks.push(Math.abs(v) < step * 1e-9 ? 0 : Number(v.toPrecision(12)));
  return ticks;
}

function svgOpen(box: Box, title: string, desc: string, cls = 'chart'): string {
  return (
    `<svg class="${cls}" viewBox="0 0 ${box.width} ${box.height}" width="${box.width}" height="${box.height}" role="img" ` +
    `font-family="inherit" font-size="11"><title>${escapeHtml(title)}</title><desc>${escapeHtml(desc)}</desc>` +
    `<text x="${box.width / 2}" y="16" text-anchor="middle" font-size="13" font-weight="600" fill="${COLORS.text}">${escapeHtml(title)}</text>`
  );
}

/** Axes with gridlines, ticks and labels for a chart whose x and y scales are given. */
function axes(box: Box, x: Scale, y: Scale, xTicks: number[], yTicks: number[], xLabel: string, yLabel: string, fmt: (v: number) => string = String, fmtY = fmt): string {
  const x0 = box.left;
  const x1 = box.width - box.right;
  const y0 = box.height - box.bottom;
  const y1 = box.top;
  let s = `<g stroke="${COLORS.grid}" stroke-width="1">`;
  for (const t of xTicks) s += `<line x1="${r1(x(t))}" y1="${y0}" x2="${r1(x(t))}" y2="${y1}"/>`;
  for (const t of yTicks) s += `<line x1="${x0}" y1="${r1(y(t))}" x2="${x1}" y2="${r1(y(t))}"/>`;
  s += `</g><g stroke="${COLORS.axis}" stroke-width="1"><line x1="${x0}" y1="${y0}" x2="${x1}" y2="${y0}"/><line x1="${x0}" y1="${y0}" x2="${x0}" y2="${y1}"/></g>`;
  s += `<g fill="${COLORS.axis}" font-size="10">`;
  for (const t of xTicks) s += `<text x="${r1(x(t))}" y="${y0 + 13}" text-anchor="middle">${escapeHtml(fmt(t))}</text>`;
  for (const t of yTicks) s += `<text x="${x0 - 4}" y="${r1(y(t) + 3.5)}" text-anchor="end">${escapeHtml(fmtY(t))}</text>`;
  s += '</g>';
  s += `<text x="${r1((x0 + x1) / 2)}" y="${box.height - 6}" text-anchor="middle" fill="${COLORS.text}">${escapeHtml(xLabel)}</text>`;
  const cy = r1((y0 + y1) / 2);
  s += `<text x="12" y="${cy}" text-anchor="middle" transform="rotate(-90 12 ${cy})" fill="${COLORS.text}">${escapeHtml(yLabel)}</text>`;
  return s;
}

/** Keeps at most `max` points of a curve (always the first and the last), so large curves stay small on the page. */
function thin(xs: number[], ys: number[], max = 400): [number, number][] {
  const n = Math.min(xs.length, ys.length);
  const pts: [number, number][] = [];
  const step = n > max ? (n - 1) / (max - 1) : 1;
  let last = -1;
  for (let k = 0; ; k++) {
    const i = Math.min(n - 1, Math.round(k * step));
    if (i <= last) {
      if (i >= n - 1) break;
      continue;
    }
    last = i;
    const xv = xs[i];
    const yv = ys[i];
    if (isNum(xv) && isNum(yv)) pts.push([xv, yv]);
    if (i >= n - 1) break;
  }
  return pts;
}

function path(pts: [number, number][], x: Scale, y: Scale): string {
  return pts.map(([a, b], i) => `${i === 0 ? 'M' : 'L'}${r1(x(a))} ${r1(y(b))}`).join('');
}

const UNIT_BOX: Box = { width: 320, height: 240, left: 44, right: 14, top: 28, bottom: 36 };
const UNIT_TICKS = [0, 0.2, 0.4, 0.6, 0.8, 1];
const fmtUnit = (v: number): string => (v === 0 ? '0' : v === 1 ? '1' : v.toFixed(1));

function unitScales(box: Box): { x: Scale; y: Scale } {
  return { x: scale(0, 1, box.left, box.width - box.right), y: scale(0, 1, box.height - box.bottom, box.top) };
}

function diagonal(x: Scale, y: Scale, x0 = 0, y0 = 0, x1 = 1, y1 = 1): string {
  return `<line x1="${r1(x(x0))}" y1="${r1(y(y0))}" x2="${r1(x(x1))}" y2="${r1(y(y1))}" stroke="${COLORS.reference}" stroke-width="1.2" stroke-dasharray="4 3"/>`;
}

export function rocChart(roc: NonNullable<Curves['roc']>, auc: number | undefined): string {
  const box = UNIT_BOX;
  const { x, y } = unitScales(box);
  const pts = thin(roc.fpr, roc.tpr);
  const title = isNum(auc) ? `ROC curve (AUC ${pct(auc)})` : 'ROC curve';
  return (
    svgOpen(box, title, 'True positive rate against false positive rate as the decision threshold moves; the dashed diagonal is a model that guesses at random. Closer to the top-left corner is better.') +
    axes(box, x, y, UNIT_TICKS, UNIT_TICKS, 'False positive rate', 'True positive rate', fmtUnit) +
    diagonal(x, y) +
    `<path d="${path(pts, x, y)}" fill="none" stroke="${COLORS.line}" stroke-width="2" stroke-linejoin="round"/></svg>`
  );
}

export function prChart(pr: NonNullable<Curves['pr']>, ap: number | undefined, prevalence: number | undefined): string {
  const box = UNIT_BOX;
  const { x, y } = unitScales(box);
  const pts = thin(pr.recall, pr.precision);
  const title = isNum(ap) ? `Precision–recall (AP ${pct(ap)})` : 'Precision–recall curve';
  const baseline = isNum(prevalence)
    ? diagonal(x, y, 0, prevalence, 1, prevalence) +
      `<text x="${r1(x(0) + 4)}" y="${r1(y(prevalence) - 4)}" font-size="9" fill="${COLORS.axis}">random guessing (${escapeHtml(pct(prevalence))} positive)</text>`
    : '';
  return (
    svgOpen(box, title, 'Precision against recall as the decision threshold moves. Closer to the top-right corner is better; the dashed line is the share of positive rows, what random guessing achieves.') +
    axes(box, x, y, UNIT_TICKS, UNIT_TICKS, 'Recall', 'Precision', fmtUnit) +
    baseline +
    `<path d="${path(pts, x, y)}" fill="none" stroke="${COLORS.line}" stroke-width="2" stroke-linejoin="round"/></svg>`
  );
}

export function calibrationChart(bins: NonNullable<Curves['calibration']>, ece: number | undefined): string {
  const box = UNIT_BOX;
  const { x, y } = unitScales(box);
  const maxCount = Math.max(1, ...bins.map((b) => (isNum(b.count) ? b.count : 0)));
  // Row counts as grey bars in the bottom third, on their own scale.
  const barH = (box.height - box.top - box.bottom) * 0.33;
  const y0 = box.height - box.bottom;
  let bars = `<g fill="${COLORS.bar}">`;
  let labels = `<g fill="${COLORS.axis}" font-size="8" text-anchor="middle">`;
  for (const b of bins) {
    if (!isNum(b.lower) || !isNum(b.upper) || !isNum(b.count)) continue;
    const h = (b.count / maxCount) * barH;
    const bx = x(b.lower) + 1;
    const bw = Math.max(0.5, x(b.upper) - x(b.lower) - 2);
    bars += `<rect x="${r1(bx)}" y="${r1(y0 - h)}" width="${r1(bw)}" height="${r1(h)}"><title>${escapeHtml(`${fmtUnit2(b.lower)}–${fmtUnit2(b.upper)}: ${integer(b.count)} rows`)}</title></rect>`;
    if (bins.length <= 12 && b.count > 0) labels += `<text x="${r1(bx + bw / 2)}" y="${r1(y0 - h - 2)}">${escapeHtml(compact(b.count))}</text>`;
  }
  bars += '</g>';
  labels += '</g>';
  const pts = bins.filter((b) => b.count > 0 && isNum(b.meanPredicted) && isNum(b.fractionPositive));
  let dots = `<g fill="${COLORS.line}">`;
  for (const b of pts) {
    dots += `<circle cx="${r1(x(b.meanPredicted))}" cy="${r1(y(b.fractionPositive))}" r="3"><title>${escapeHtml(
      `Scores ${fmtUnit2(b.lower)}–${fmtUnit2(b.upper)} (${integer(b.count)} rows): predicted ${pct(b.meanPredicted)}, observed ${pct(b.fractionPositive)}`,
    )}</title></circle>`;
  }
  dots += '</g>';
  const line = path(
    pts.map((b) => [b.meanPredicted, b.fractionPositive]),
    x,
    y,
  );
  const title = isNum(ece) ? `Calibration (ECE ${sig(ece, 2)})` : 'Calibration';
  return (
    svgOpen(box, title, 'Share of rows that really are positive against the average predicted probability, per score bin. On the dashed diagonal the probabilities can be taken at face value. Grey bars: rows per bin.') +
    axes(box, x, y, UNIT_TICKS, UNIT_TICKS, 'Predicted probability', 'Observed frequency', fmtUnit) +
    bars +
    labels +
    diagonal(x, y) +
    (line ? `<path d="${line}" fill="none" stroke="${COLORS.line}" stroke-width="1.8"/>` : '') +
    dots +
    '</svg>'
  );
}

function fmtUnit2(v: number): string {
  return String(Math.round(v * 100) / 100);
}

function compact(n: number): string {
  if (n >= 1e6) return `${sig(n / 1e6, 2)}M`;
  if (n >= 1e4) return `${Math.round(n / 1e3)}k`;
  if (n >= 1e3) return `${sig(n / 1e3, 2)}k`;
  return String(n);
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

/** Mixes white into a blue by `t` ∈ [0, 1]. */
function heat(t: number): string {
  const c0 = [239, 246, 255];
  const c1 = [30, 64, 175];
  const k = Math.max(0, Math.min(1, t));
  const c = c0.map((a, i) => Math.round(a + ((c1[i] ?? a) - a) * k));
  return `rgb(${c.join(',')})`;
}

/** Confusion matrix as a heat-map: rows are the actual classes, columns the predicted ones, shaded by row share. */
export function confusionChart(labels: string[], matrix: number[][]): { svg: string; wide: boolean } {
  const n = Math.max(1, labels.length);
  const fs = n > 10 ? 9 : 10;
  const charW = fs * 0.6;
  const maxChars = 16;
  const longest = Math.min(maxChars, Math.max(1, ...labels.map((l) => l.length)));
  // Up to 4 classes the matrix fits a grid cell; more get the full width, drawn at their natural size.
  const wide = n > 4;
  const cell = n > 12 ? Math.max(14, Math.min(36, 700 / n)) : wide ? Math.min(56, 440 / n) : Math.min(80, Math.max(24, 240 / n));
  const size = cell * n;
  const rotate = labels.some((l) => Math.min(maxChars, l.length) * charW > cell - 4);
  const labelW = 28 + longest * charW;
  const top = 46;
  const bottom = (rotate ? 14 + longest * charW * 0.71 : 22) + 20;
  const width = wide ? Math.max(labelW + size + 16, Math.min(860, 2 * labelW + size)) : Math.max(320, labelW + size + 16);
  const left = Math.max(labelW, (width - size) / 2);
  const box: Box = { width: Math.round(width), height: Math.round(top + size + bottom), left, right: 12, top, bottom };
  let s = svgOpen(
    box,
    'Confusion matrix',
    'Rows are the actual classes, columns the predicted ones; each cell counts rows and is shaded by its share of the row. The diagonal holds the correct predictions.',
    wide ? 'chart wide' : 'chart',
  );
  s += `<text x="${r1(left + size / 2)}" y="34" text-anchor="middle" fill="${COLORS.axis}" font-size="10">rows: actual class · columns: predicted class</text>`;
  for (let i = 0; i < n; i++) {
    const row = matrix[i] ?? [];
    const total = row.reduce((a, v) => a + (isNum(v) ? v : 0), 0);
    for (let j = 0; j < n; j++) {
      const v = row[j];
      const count = isNum(v) ? v : 0;
      const share = total > 0 ? count / total : 0;
      const cx = left + j * cell;
      const cy = top + i * cell;
      const tip = `Actual ${labels[i] ?? ''}, predicted ${labels[j] ?? ''}: ${isNum(v) ? integer(v) : 'n/a'} rows (${pct(share)} of the row)`;
      s += `<rect x="${r1(cx)}" y="${r1(cy)}" width="${r1(cell)}" height="${r1(cell)}" fill="${heat(share)}" stroke="#fff"><title>${escapeHtml(tip)}</title></rect>`;
      if (cell >= 18) {
        const cfs = Math.max(8, Math.min(13, cell / 3.4));
        const full = isNum(v) ? integer(v) : 'n/a';
        const text = full.length * cfs * 0.6 <= cell - 6 ? full : compact(count);
        s += `<text x="${r1(cx + cell / 2)}" y="${r1(cy + cell / 2 + cfs / 3)}" text-anchor="middle" font-size="${r1(cfs)}" fill="${share > 0.5 ? '#fff' : COLORS.text}">${escapeHtml(text)}</text>`;
      }
    }
  }
  s += `<g fill="${COLORS.text}" font-size="${fs}">`;
  for (let i = 0; i < n; i++) {
    const label = labels[i] ?? '';
    const short = escapeHtml(truncate(label, maxChars));
    s += `<text x="${r1(left - 5)}" y="${r1(top + i * cell + cell / 2 + fs / 3)}" text-anchor="end"><title>${escapeHtml(label)}</title>${short}</text>`;
    const tx = r1(left + i * cell + cell / 2);
    const ty = r1(top + size + 12);
    s += rotate
      ? `<text x="${tx}" y="${ty}" text-anchor="end" transform="rotate(-45 ${tx} ${ty})"><title>${escapeHtml(label)}</title>${short}</text>`
      : `<text x="${tx}" y="${ty}" text-anchor="middle"><title>${escapeHtml(label)}</title>${short}</text>`;
  }
  s += '</g>';
  s += `<text x="${r1(left + size / 2)}" y="${box.height - 6}" text-anchor="middle" fill="${COLORS.text}">Predicted class</text>`;
  const cy = r1(top + size / 2);
  const ax = r1(Math.max(12, left - 16 - longest * charW));
  s += `<text x="${ax}" y="${cy}" text-anchor="middle" transform="rotate(-90 ${ax} ${cy})" fill="${COLORS.text}">Actual class</text>`;
  return { svg: `${s}</svg>`, wide };
}

export interface SliceBar {
  name: string;
  support: number;
  delta: MetricDelta;
}

/**
 * Slice deltas of one metric as horizontal bars from a zero line, with the interval as a whisker: red when the slice
 * got significantly worse, green when better, grey when the interval includes 0.
 */
export function sliceDeltaChart(bars: SliceBar[], metric: string, confidenceLabel: string, omitted: number): string {
  const rowH = 20;
  const left = 210;
  const box: Box = { width: 860, height: 0, left, right: 24, top: 30, bottom: 40 };
  box.height = box.top + box.bottom + rowH * Math.max(1, bars.length);
  const vals = bars.flatMap((b) => [b.delta.low, b.delta.high, b.delta.delta]).filter(isNum);
  let lo = Math.min(0, ...vals);
  let hi = Math.max(0, ...vals);
  if (lo === hi) {
    lo = -0.01;
    hi = 0.01;
  }
  const pad = (hi - lo) * 0.05;
  const ticks = niceTicks(lo - pad, hi + pad, 6);
  const x = scale(Math.min(lo - pad, ticks[0] ?? lo), Math.max(hi + pad, ticks[ticks.length - 1] ?? hi), left, box.width - box.right);
  const y = scale(0, 1, box.height - box.bottom, box.top);
  const fmt = (v: number): string => (v === 0 ? '0' : deltaValue(metric, v, false));
  const prop = isProportion(metric);
  const title = `Change in ${metricName(metric)} by slice`;
  let s = svgOpen(
    box,
    title,
    `Challenger minus champion ${metricName(metric)} per slice${prop ? ', in percentage points' : ''}, with the ${confidenceLabel} interval as a whisker. Red: significantly worse; green: significantly better; grey: no significant change.${omitted > 0 ? ` ${omitted} more slices are not drawn.` : ''}`,
    'chart wide',
  );
  s += axes(box, x, y, ticks, [], `${capitalize(metricName(metric))}: challenger ${MINUS} champion${prop ? ' (points)' : ''}`, '', fmt);
  s += `<line x1="${r1(x(0))}" y1="${box.top - 4}" x2="${r1(x(0))}" y2="${box.height - box.bottom}" stroke="${COLORS.text}" stroke-width="1.2"/>`;
  bars.forEach((b, i) => {
    const cy = box.top + i * rowH + rowH / 2;
    const d = b.delta;
    const color = d.verdict === 'worse' ? COLORS.bad : d.verdict === 'better' ? COLORS.good : COLORS.neutral;
    const tip = `${b.name} (${integer(b.support)} rows): ${deltaValue(metric, d.delta)}, ${confidenceLabel} interval ${deltaValue(metric, d.low, false)} to ${deltaValue(metric, d.high, false)}`;
    s += `<g><title>${escapeHtml(tip)}</title>`;
    s += `<text x="${left - 8}" y="${r1(cy + 3.5)}" text-anchor="end" fill="${COLORS.text}">${escapeHtml(truncate(b.name, 34))}</text>`;
    if (isNum(d.delta)) {
      const a = x(Math.min(0, d.delta));
      const w = Math.abs(x(d.delta) - x(0));
      s += `<rect x="${r1(a)}" y="${r1(cy - 6)}" width="${r1(Math.max(w, 0.8))}" height="12" fill="${color}" fill-opacity="0.75"/>`;
    }
    if (isNum(d.low) && isNum(d.high)) {
      s += `<g stroke="${COLORS.text}" stroke-width="1.2"><line x1="${r1(x(d.low))}" y1="${r1(cy)}" x2="${r1(x(d.high))}" y2="${r1(cy)}"/><line x1="${r1(x(d.low))}" y1="${r1(cy - 4)}" x2="${r1(x(d.low))}" y2="${r1(cy + 4)}"/><line x1="${r1(x(d.high))}" y1="${r1(cy - 4)}" x2="${r1(x(d.high))}" y2="${r1(cy + 4)}"/></g>`;
    }
    s += '</g>';
  });
  return `${s}</svg>`;
}
