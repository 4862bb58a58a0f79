import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { EvaluationReport } from '../report.js';
import { binaryGateFailing, binaryGatePassing, binaryWorseNoGate, manySlices, multiclass, multiclassMany, regressionNoChampion } from './fixtures.js';
import { deltaValue, metricValue, pValue, sig } from './format.js';
import { renderHtml, renderMarkdown, verdictOf } from './index.js';
import { escapeMarkdown } from './markdown.js';
import { niceTicks } from './svg.js';

const OUT = join(dirname(fileURLToPath(import.meta.url)), '../../../test-output');

const FIXTURES: Record<string, () => EvaluationReport> = {
  'binary-gate-failing': binaryGateFailing,
  'binary-gate-passing': binaryGatePassing,
  'binary-worse-no-gate': binaryWorseNoGate,
  multiclass,
  'multiclass-many': multiclassMany,
  'regression-no-champion': regressionNoChampion,
  'many-slices': () => manySlices(200),
};

/** The ids of the charts (figures) in a rendered page. */
function chartIds(html: string): string[] {
  return [...html.matchAll(/<figure id="chart-([a-z-]+)"/g)].map((m) => m[1] ?? '');
}

/** Rows of a Markdown table line, splitting on pipes that are not escaped. */
function cells(line: string): string[] {
  return line
    .trim()
    .replace(/^\|/, '')
    .replace(/(?<!\\)\|$/, '')
    .split(/(?<!\\)\|/)
    .map((s) => s.trim());
}

function markdownTables(md: string): string[][] {
  const tables: string[][] = [];
  let cur: string[] | undefined;
  for (const line of md.split('\n')) {
    if (line.startsWith('|')) {
      if (!cur) tables.push((cur = []));
      cur.push(line);
    } else cur = undefined;
  }
  return tables;
}

describe('verdictOf', () => {
  it('says ready to promote when every check passes and the primary metric improved', () => {
    const v = verdictOf(binaryGatePassing());
    expect(v.tone).toBe('good');
    expect(v.headline).toBe(
      'Ready to promote: passes all 6 release checks and is better than production (v3) on ROC AUC (+2.1 points, 95% CI +1.2 to +3.0).',
    );
    expect(v.improved[0]).toBe('ROC AUC: 91.2% → 93.3%, +2.1 points (95% CI +1.2 to +3.0)');
    expect(v.worse.map((w) => w.split(':')[0])).toEqual(['Precision', 'Brier score']);
  });

  it('says do not promote and why when a slice check fails', () => {
    const v = verdictOf(binaryGateFailing());
    expect(v.tone).toBe('bad');
    expect(v.headline).toBe(
      'Do not promote: 2 of 6 release checks failed — accuracy on slice region=EU fell by 4.1 points (needed: no drop beyond 1 point).',
    );
    expect(v.regressedSlices[0]).toBe('region = EU (14,820 rows): ROC AUC −1.5 points (95% CI −2.1 to −0.9); accuracy −4.1 points (95% CI −5.3 to −2.9)');
    expect(v.notes.some((n) => n.startsWith('Also failed: Women are flagged 0.76 times'))).toBe(true);
    expect(v.notes.some((n) => n.includes('the two models disagree') || n.includes('The two models disagree on 867 rows'))).toBe(true);
  });

  it('says there is no champion when there is nothing to compare with', () => {
    const v = verdictOf(regressionNoChampion());
    expect(v.headline).toBe('No champion to compare with; metrics below.');
    expect(v.tone).toBe('neutral');
    expect(v.improved).toEqual([]);
    expect(v.notes[0]).toBe('RMSE (the primary metric) is 48.73.');
  });

  it('is bad when the challenger is significantly worse on the primary metric and there is no gate', () => {
    const v = verdictOf(binaryWorseNoGate());
    expect(v.tone).toBe('bad');
    expect(v.headline).toBe('Do not promote: worse than production (v8) on ROC AUC (−2.1 points, 95% CI −2.9 to −1.3).');
    expect(v.notes).toContain('No release gate was applied.');
    expect(v.notes.join(' ')).toContain('(McNemar test, p < 0.001)');
  });

  it('is neutral when the primary metric did not change significantly', () => {
    const v = verdictOf(multiclass());
    expect(v.tone).toBe('neutral');
    expect(v.headline).toMatch(/^No measurable difference from production \(v11\) on macro-average F1 \(\+0\.4 points, 95% CI −0\.5 to \+1\.3\)\.$/);
  });

  it('lets the gate decide the tone even when the comparison is worse', () => {
    const r = binaryWorseNoGate();
    r.gate = { policyVersion: 1, passed: true, rules: [{ index: 1, rule: 'roc_auc >= 0.8', kind: 'min', passed: true, observed: 0.87, threshold: 0.8, reason: 'ok' }] };
    const v = verdictOf(r);
    expect(v.tone).toBe('good');
    expect(v.headline).toBe('Ready to promote: passes its 1 release check and is worse than production (v8) on ROC AUC (−2.1 points, 95% CI −2.9 to −1.3).');
    expect(v.notes.join(' ')).toContain('The gate passed although');
  });

  it('names a champion that was picked by version, and a gate without a champion', () => {
    const r = binaryGatePassing();
    const { comparison, ...rest } = r;
    if (!comparison) throw new Error('fixture');
    const { alias: _alias, ...byVersion } = comparison;
    expect(verdictOf({ ...rest, comparison: { ...byVersion, champion: { ...byVersion.champion, name: 'fraud-legacy' } } }).headline).toContain(
      'better than the champion (fraud-legacy v3) on ROC AUC',
    );
    expect(verdictOf(rest).headline).toBe('Ready to promote: passes all 6 release checks (there is no champion to compare with).');
  });
});

describe('formatting', () => {
  it('formats numbers for people', () => {
    expect(metricValue('accuracy', 0.91234)).toBe('91.2%');
    expect(metricValue('roc_auc', Number.NaN)).toBe('n/a');
    expect(metricValue('rmse', null as unknown as number)).toBe('n/a');
    expect(metricValue('rmse', 1234.567)).toBe('1,235');
    expect(metricValue('mae', 0.0123456)).toBe('0.0123');
    expect(metricValue('brier_score', 0.0398)).toBe('0.0398');
    expect(metricValue('rmse', 45)).toBe('45.00');
    expect(sig(0.0123456)).toBe('0.01235');
    expect(deltaValue('accuracy', -0.041)).toBe('−4.1 points');
    expect(deltaValue('accuracy', 0.01)).toBe('+1.0 point');
    expect(deltaValue('accuracy', 0.0001)).toBe('0.0 points');
    expect(deltaValue('rmse', -0.3456)).toBe('−0.346');
    expect(pValue(0.003)).toBe('p = 0.003');
    expect(pValue(0.0004)).toBe('p < 0.001');
    expect(pValue(0.1539)).toBe('p = 0.15');
    expect(sig(-12.5, 3)).toBe('−12.5');
    expect(niceTicks(-0.043, 0.031, 6)).toEqual([-0.04, -0.02, 0, 0.02]);
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
  });
});

describe('renderHtml', () => {
  it('is one self-contained page: no scripts, no external references', () => {
    for (const [name, make] of Object.entries(FIXTURES)) {
      const html = renderHtml(make());
      expect(html.startsWith('<!doctype html>'), name).toBe(true);
      expect(html, name).not.toMatch(/<script/i);
      expect(html, name).not.toMatch(/https?:\/\//i);
      expect(html, name).not.toMatch(/\b(src|href)=/i);
      expect(html, name).not.toMatch(/url\(/i);
      expect(html, name).not.toMatch(/\bon[a-z]+=/i);
    }
  });

  it('escapes every string that comes from the report', () => {
    const evil = '<script>alert("x")</script>';
    const r = binaryGateFailing();
    r.model.name = `${evil}&model`;
    r.slices[0] = { ...r.slices[0]!, label: evil };
    const first = r.comparison!.slices.find((s) => s.label === 'EU')!;
    first.label = evil;
    r.fairness![0]!.column = evil;
    r.fairness![0]!.groups[0]!.value = evil;
    r.confusion!.labels[1] = evil;
    r.perClass![1]!.label = evil;
    r.gate!.rules[0]!.reason = evil;
    r.gate!.rules[0]!.failures = [{ slice: evil, observed: -0.04, threshold: -0.01 }];
    r.warnings.push(evil);
    r.dataset.name = `"quoted' ${evil}`;
    const html = renderHtml(r);
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;model');
    // Inside the SVG charts too (slice bars and confusion labels).
    const svgs = html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
    expect(svgs.some((s) => s.includes('&lt;script&gt;'))).toBe(true);
    const md = renderMarkdown(r);
    expect(md).not.toMatch(/<script/i);
    expect(md).toContain('&lt;script&gt;');
  });

  it('lists failed checks first, in policy order', () => {
    const html = renderHtml(binaryGateFailing());
    const table = /<table class="checks">([\s\S]*?)<\/table>/.exec(html)?.[1] ?? '';
    const results = [...table.matchAll(/<td class="(good|bad) strong">(PASS|FAIL)<\/td>/g)].map((m) => m[2]);
    expect(results).toEqual(['FAIL', 'FAIL', 'PASS', 'PASS', 'PASS', 'PASS']);
    const rules = [...table.matchAll(/<code>([^<]*)<\/code>/g)].map((m) => m[1]);
    expect(rules[0]).toBe('accuracy per region: no drop beyond 0.01');
    expect(rules[1]).toBe('disparate_impact_ratio(gender) &gt;= 0.8');
  });

  it('draws exactly the charts the report has data for', () => {
    expect(chartIds(renderHtml(binaryGateFailing()))).toEqual(['roc', 'pr', 'calibration', 'confusion', 'slice-deltas']);
    expect(chartIds(renderHtml(multiclass()))).toEqual(['confusion', 'slice-deltas']);
    expect(chartIds(renderHtml(multiclassMany()))).toEqual(['confusion']);
    const regression = renderHtml(regressionNoChampion());
    expect(chartIds(regression)).toEqual([]);
    expect(regression).not.toContain('<svg');
    expect(regression).toContain('Regression evaluations have no curves');

    const noCurves = binaryGateFailing();
    delete noCurves.curves!.pr;
    noCurves.curves!.calibration = [];
    delete noCurves.comparison;
    expect(chartIds(renderHtml(noCurves))).toEqual(['roc', 'confusion']);
  });

  it('gives every chart an accessible title, axis labels and the reference diagonal', () => {
    const html = renderHtml(binaryGateFailing());
    const svgs = html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
    expect(svgs).toHaveLength(5);
    for (const s of svgs) {
      expect(s).toMatch(/^<svg [^>]*role="img"[^>]*><title>[^<]+<\/title><desc>/);
      expect(s).not.toMatch(/NaN|undefined|Infinity/);
    }
    const roc = svgs[0] ?? '';
    expect(roc).toContain('<title>ROC curve (AUC 93.3%)</title>');
    expect(roc).toContain('False positive rate');
    expect(roc).toContain('stroke-dasharray');
    const slices = svgs[4] ?? '';
    expect(slices).toContain('#dc2626'); // region = EU got worse on ROC AUC
    expect(slices).toContain('#16a34a');
  });

  it('shows missing metrics as n/a, also after a JSON round trip', () => {
    const r = JSON.parse(JSON.stringify(regressionNoChampion())) as EvaluationReport;
    expect(r.metrics.mape).toBeNull();
    const html = renderHtml(r);
    expect(html).toMatch(/MAPE<\/td><td class="num">n\/a<\/td>/);
    expect(html).not.toMatch(/>(NaN|null|undefined)</);
    const md = renderMarkdown(r);
    expect(md).toContain('| MAPE | n/a |');
  });

  it('stays small with 200 slices and says how many it left out', () => {
    const html = renderHtml(manySlices(200));
    expect(html.length).toBeLessThan(300_000);
    expect(html).toContain('150 more slices are not shown (200 in all)');
    const slicesTable = /<table class="slices">([\s\S]*?)<\/table>/.exec(html)?.[1] ?? '';
    expect(slicesTable.match(/<tr>/g)?.length).toBe(51); // header + 50 rows
  });

  it('writes the example pages to test-output/', () => {
    mkdirSync(OUT, { recursive: true });
    for (const [name, make] of Object.entries(FIXTURES)) {
      writeFileSync(join(OUT, `scorecard-${name}.html`), renderHtml(make()));
      writeFileSync(join(OUT, `scorecard-${name}.md`), renderMarkdown(make()));
    }
  });
});

describe('renderMarkdown', () => {
  it('has well-formed tables', () => {
    for (const [name, make] of Object.entries(FIXTURES)) {
      const md = renderMarkdown(make());
      const tables = markdownTables(md);
      expect(tables.length, name).toBeGreaterThan(0);
      for (const t of tables) {
        const width = cells(t[0] ?? '').length;
        expect(t[1], name).toMatch(/^\|( -{3,}:? \|)+$/);
        expect(cells(t[1] ?? '').length, name).toBe(width);
        for (const row of t.slice(2)) expect(cells(row).length, `${name}: ${row}`).toBe(width);
      }
      // Tables are separated from the text around them by blank lines.
      expect(md, name).not.toMatch(/[^\n|]\n\|/);
    }
  });

  it('has the sections in order', () => {
    const md = renderMarkdown(binaryGateFailing());
    const headings = [...md.matchAll(/^## (.*)$/gm)].map((m) => m[1]);
    expect(headings).toEqual(['Release checks', 'Compared with the champion', 'Slices of the data', 'Fairness', 'Charts', 'Details']);
    expect(md.indexOf('> **Do not promote')).toBeGreaterThan(0);
    expect(md.indexOf('| accuracy per region')).toBeLessThan(md.indexOf('| roc\\_auc &gt;= 0.85'));
  });

  it('keeps pipes and newlines in labels inside their cell', () => {
    const r = binaryGateFailing();
    r.slices[0] = { ...r.slices[0]!, label: 'a|b\nc' };
    const md = renderMarkdown(r);
    expect(md).toContain('region = a\\|b c');
    expect(escapeMarkdown('x|y')).toBe('x\\|y');
    for (const t of markdownTables(md)) {
      const width = cells(t[0] ?? '').length;
      for (const row of t) expect(cells(row).length).toBe(width);
    }
  });
});

describe('robustness', () => {
  it('renders a bare report (no slices, metrics or warnings) without failing', () => {
    const bare = {
      id: 'ev_bare',
      createdAt: 'not a date',
      model: { name: 'm', version: 1, runtime: 'column' },
      dataset: { name: 'd', version: 1, digest: 'abc', rows: 0 },
      task: 'binary',
      labelColumn: 'y',
      primaryMetric: 'roc_auc',
      metrics: {},
    } as unknown as EvaluationReport;
    expect(verdictOf(bare).headline).toBe('No champion to compare with; metrics below.');
    expect(verdictOf(bare).notes[0]).toBe('ROC AUC (the primary metric) is n/a.');
    const html = renderHtml(bare);
    expect(html).not.toContain('<svg');
    expect(renderMarkdown(bare)).toContain('The evaluation was not broken down into slices.');
  });

  it('reports a failed gate with no rules and a comparison missing the primary metric', () => {
    const r = binaryGateFailing();
    r.gate = { policyVersion: null, passed: false, rules: [] };
    r.comparison!.metrics = r.comparison!.metrics.filter((m) => m.metric !== 'roc_auc');
    const v = verdictOf(r);
    expect(v.headline).toBe('Do not promote: the release gate failed.');
    expect(v.tone).toBe('bad');
    expect(v.notes.join(' ')).toContain('has no result for the primary metric');
  });
});
