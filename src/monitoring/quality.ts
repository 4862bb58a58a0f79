/**
 * Data quality of a current window against the reference: missing values, values outside the reference's range,
 * infinite numbers, categories the reference never had, type and schema mismatches (fields added or missing),
 * constant columns.
 * Each check has a threshold; a column breaking one gets an issue in plain words.
 */
import { countAtMost, countBelow, type ColumnSummary, type WindowSummary } from './summary.js';

export interface QualityThresholds {
  /** Missing share may rise this much above the reference's before it is an issue. Default 0.05. */
  missingIncrease: number;
  /** Share of numbers outside the reference's [min, max]. Default 0.01. */
  outOfRange: number;
  /** Share of rows with a category the reference never had. Default 0.01. */
  newCategory: number;
  /** Share of values that do not parse as the reference's type. Default 0 (any is an issue). */
  typeMismatch: number;
  /** Share of infinite numbers (`inf`, `-inf`), which drift leaves out of the distribution. Default 0 (any is an issue). */
  nonFinite: number;
}

export const DEFAULT_QUALITY: QualityThresholds = { missingIncrease: 0.05, outOfRange: 0.01, newCategory: 0.01, typeMismatch: 0, nonFinite: 0 };

export interface ColumnQuality {
  column: string;
  type: 'number' | 'category';
  rows: number;
  missingShare: number;
  referenceMissingShare: number;
  /** Numbers only. */
  outOfRangeShare: number | null;
  /** Categories only (numbers with few values are not checked). */
  newCategoryShare: number | null;
  /** Up to 10 of the new categories, most frequent first. */
  newCategories: string[];
  /** Share of values that are not of the reference's type. */
  typeMismatchShare: number;
  /** Numbers only: share of rows holding ±Infinity. */
  nonFiniteShare: number | null;
  constant: boolean;
  referenceConstant: boolean;
}

export interface QualityIssue {
  column: string | null;
  check: 'missing' | 'out_of_range' | 'non_finite' | 'new_category' | 'type_mismatch' | 'constant' | 'missing_column' | 'extra_column';
  value: number | null;
  threshold: number | null;
  message: string;
}

export interface QualityResult {
  columns: ColumnQuality[];
  /** In the reference, not in the current window (e.g. a field requests stopped sending). */
  missingColumns: string[];
  /** In the current window, not in the reference. */
  extraColumns: string[];
  issues: QualityIssue[];
}

const pct = (v: number): string => `${(100 * v).toFixed(v < 0.1 ? 1 : 0)}%`;

function isConstant(s: ColumnSummary): boolean {
  if (s.n === 0) return false;
  if (s.kind === 'number') return s.min === s.max;
  return s.counts.size + (s.other > 0 ? 1 : 0) === 1;
}

/** Rows in the window, missing or infinite or not, for shares. */
const total = (s: ColumnSummary): number => s.n + s.missing + (s.kind === 'number' ? s.nonFinite : 0);

export function checkQuality(reference: WindowSummary, current: WindowSummary, thresholds: Partial<QualityThresholds> = {}): QualityResult {
  const t = { ...DEFAULT_QUALITY, ...thresholds };
  const columns: ColumnQuality[] = [];
  const issues: QualityIssue[] = [];
  const schema = schemaIssues([...reference.columns.keys()], [...current.columns.keys()]);
  const { missingColumns, extraColumns } = schema;
  issues.push(...schema.issues);

  for (const [name, ref] of reference.columns) {
    const cur = current.columns.get(name);
    if (!cur) continue;
    const q = checkColumnQuality(name, ref, cur, t);
    columns.push(q.quality);
    issues.push(...q.issues);
  }
  return { columns, missingColumns, extraColumns, issues };
}

/** One column's checks (the reference and current summaries of the same column). */
export function checkColumnQuality(name: string, ref: ColumnSummary, cur: ColumnSummary, thresholds: Partial<QualityThresholds> = {}): { quality: ColumnQuality; issues: QualityIssue[] } {
  const t = { ...DEFAULT_QUALITY, ...thresholds };
  const issues: QualityIssue[] = [];
  const rows = total(cur);
  const missingShare = rows > 0 ? cur.missing / rows : 0;
  const referenceMissingShare = total(ref) > 0 ? ref.missing / total(ref) : 0;
  let outOfRangeShare: number | null = null;
  let newCategoryShare: number | null = null;
  let newCategories: string[] = [];
  let typeMismatchShare = 0;
  let nonFiniteShare: number | null = null;
  if (ref.kind === 'number' && cur.kind === 'number') {
    nonFiniteShare = rows > 0 ? cur.nonFinite / rows : 0;
    if (cur.n > 0 && ref.n > 0) outOfRangeShare = (countBelow(cur, ref.min) + (cur.n - countAtMost(cur, ref.max))) / cur.n;
    else outOfRangeShare = 0;
    typeMismatchShare = rows > 0 ? cur.invalid / rows : 0;
  } else if (ref.kind === 'category' && cur.kind === 'category') {
    // With a capped reference a category outside the kept ones may still be old: only an uncapped reference
    // can say a category is new.
    const capped = ref.other > 0;
    const fresh = [...cur.counts].filter(([k]) => !ref.counts.has(k)).sort((a, b) => b[1] - a[1]);
    const freshRows = fresh.reduce((a, [, c]) => a + c, 0) + (capped ? 0 : cur.other);
    newCategoryShare = capped ? null : cur.n > 0 ? freshRows / cur.n : 0;
    newCategories = capped ? [] : fresh.slice(0, 10).map(([k]) => k);
  } else if (ref.kind === 'number' && cur.kind === 'category') {
    // Numbers expected, text received: count the values that do not read as numbers.
    let bad = cur.other;
    for (const [k, c] of cur.counts) if (k.trim() === '' || !Number.isFinite(Number(k))) bad += c;
    typeMismatchShare = rows > 0 ? bad / rows : 0;
  }
  const q: ColumnQuality = {
    column: name,
    type: ref.kind,
    rows,
    missingShare,
    referenceMissingShare,
    outOfRangeShare,
    newCategoryShare,
    newCategories,
    typeMismatchShare,
    nonFiniteShare,
    constant: isConstant(cur),
    referenceConstant: isConstant(ref),
  };

  if (rows > 0 && missingShare - referenceMissingShare > t.missingIncrease) {
    issues.push({ column: name, check: 'missing', value: missingShare, threshold: referenceMissingShare + t.missingIncrease, message: `"${name}" is missing in ${pct(missingShare)} of rows (reference ${pct(referenceMissingShare)}).` });
  }
  if (outOfRangeShare !== null && outOfRangeShare > t.outOfRange && ref.kind === 'number') {
    issues.push({ column: name, check: 'out_of_range', value: outOfRangeShare, threshold: t.outOfRange, message: `${pct(outOfRangeShare)} of "${name}" values are outside the reference range [${ref.min}, ${ref.max}].` });
  }
  if (nonFiniteShare !== null && nonFiniteShare > t.nonFinite && cur.kind === 'number') {
    issues.push({
      column: name,
      check: 'non_finite',
      value: nonFiniteShare,
      threshold: t.nonFinite,
      message: `${cur.nonFinite} value${cur.nonFinite === 1 ? '' : 's'} of "${name}" ${cur.nonFinite === 1 ? 'is' : 'are'} infinite (${pct(nonFiniteShare)} of rows); drift is measured on the finite values.`,
    });
  }
  if (newCategoryShare !== null && newCategoryShare > t.newCategory) {
    issues.push({
      column: name,
      check: 'new_category',
      value: newCategoryShare,
      threshold: t.newCategory,
      message: `${pct(newCategoryShare)} of "${name}" values are categories the reference never had${newCategories.length > 0 ? ` (${newCategories.slice(0, 3).map((c) => `'${c}'`).join(', ')}${newCategories.length > 3 ? ', …' : ''})` : ''}.`,
    });
  }
  if (typeMismatchShare > t.typeMismatch) {
    issues.push({ column: name, check: 'type_mismatch', value: typeMismatchShare, threshold: t.typeMismatch, message: `${pct(typeMismatchShare)} of "${name}" values are not ${ref.kind === 'number' ? 'numbers' : 'text'}, as the reference's are.` });
  }
  if (q.constant && !q.referenceConstant) {
    issues.push({ column: name, check: 'constant', value: null, threshold: null, message: `"${name}" has a single value in the current data; the reference varies.` });
  }
  return { quality: q, issues };
}

/** The schema checks: columns missing from the current window, and columns it added. */
export function schemaIssues(referenceColumns: readonly string[], currentColumns: readonly string[]): { missingColumns: string[]; extraColumns: string[]; issues: QualityIssue[] } {
  const cur = new Set(currentColumns);
  const ref = new Set(referenceColumns);
  const missingColumns = referenceColumns.filter((c) => !cur.has(c));
  const extraColumns = currentColumns.filter((c) => !ref.has(c));
  const issues: QualityIssue[] = [
    ...missingColumns.map((c) => ({ column: c, check: 'missing_column' as const, value: null, threshold: null, message: `"${c}" is in the reference but missing from the current data.` })),
    ...extraColumns.map((c) => ({ column: c, check: 'extra_column' as const, value: null, threshold: null, message: `"${c}" appears in the current data but not in the reference.` })),
  ];
  return { missingColumns, extraColumns, issues };
}
