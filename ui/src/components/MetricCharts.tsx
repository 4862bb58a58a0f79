import { useEffect, useMemo, useRef, useState } from 'react';
import { SlipwayApiError, useApi } from '../api';
import { byTime, loadHistory } from '../lib/history';
import { setQuery, useLocation } from '../router';
import { useTheme } from '../theme';
import { smooth } from '../lib/smooth';
import { Chart, type Series } from './Chart';
import { ErrorBox } from './Common';

export interface ChartRun {
  id: string;
  label: string;
}

/** Chart options live in the URL, so a link shows the same view: ?x=time&smooth=0.6&log=1. */
export function useChartOptions() {
  const { query } = useLocation();
  return {
    xKind: (query.get('x') === 'time' ? 'time' : 'step') as 'step' | 'time',
    smoothing: Math.min(0.99, Math.max(0, Number(query.get('smooth') ?? 0) || 0)),
    log: query.get('log') === '1',
  };
}

export function ChartControls() {
  const { xKind, smoothing, log } = useChartOptions();
  const [draft, setDraft] = useState(smoothing);
  useEffect(() => setDraft(smoothing), [smoothing]);
  return (
    <div className="toolbar chart-controls">
      <label>
        X axis{' '}
        <select value={xKind} onChange={(e) => setQuery({ x: e.target.value === 'time' ? 'time' : null })}>
          <option value="step">step</option>
          <option value="time">wall time</option>
        </select>
      </label>
      <label>
        Smoothing{' '}
        <input
          type="range"
          min={0}
          max={0.99}
          step={0.01}
          value={draft}
          onChange={(e) => setDraft(Number(e.target.value))}
          onPointerUp={() => setQuery({ smooth: draft ? String(draft) : null })}
          onKeyUp={() => setQuery({ smooth: draft ? String(draft) : null })}
        />{' '}
        <span className="mono">{draft.toFixed(2)}</span>
      </label>
      <label>
        <input type="checkbox" checked={log} onChange={(e) => setQuery({ log: e.target.checked ? '1' : null })} /> Log scale
      </label>
    </div>
  );
}

/** One chart per metric key; with several runs, their series are overlaid. Charts load when scrolled into view. */
export function MetricCharts({ runs, keys }: { runs: ChartRun[]; keys: string[] }) {
  if (keys.length === 0) return <p className="muted">No metrics logged.</p>;
  return (
    <>
      <ChartControls />
      <div className="charts">
        {keys.map((k) => (
          <LazyMetricChart key={k} metric={k} runs={runs} />
        ))}
      </div>
    </>
  );
}

function LazyMetricChart(props: { metric: string; runs: ChartRun[] }) {
  const ref = useRef<HTMLDivElement>(null);
  const [visible, setVisible] = useState(false);
  useEffect(() => {
    const el = ref.current;
    if (!el || visible) return;
    const io = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && setVisible(true), { rootMargin: '300px' });
    io.observe(el);
    return () => io.disconnect();
  }, [visible]);
  return (
    <div ref={ref} className="chart-slot">
      {visible ? <MetricChart {...props} /> : <div className="chart-placeholder">{props.metric}</div>}
    </div>
  );
}

function MetricChart({ metric, runs }: { metric: string; runs: ChartRun[] }) {
  const { xKind, smoothing, log } = useChartOptions();
  const theme = useTheme().resolved;
  const ids = runs.map((r) => r.id).join(',');
  const histories = useApi(
    (c) => Promise.all(runs.map((r) => loadHistory(c, r.id, metric).catch((e: unknown) => {
          // One run missing the metric leaves a gap in the overlay; an auth failure still reaches the token prompt.
          if (e instanceof SlipwayApiError && e.status === 401) throw e;
          return null;
        }))),
    [ids, metric],
  );
  // A metric logged without steps has them all at 0: plot it against wall time rather than as one vertical line.
  const effectiveX = useMemo<'step' | 'time'>(() => {
    const logged = (histories.data ?? []).filter((h) => h && h.steps.length > 1);
    const flat = logged.length > 0 && logged.every((h) => h!.steps[0] === h!.steps[h!.steps.length - 1]);
    return flat ? 'time' : xKind;
  }, [histories.data, xKind]);
  const series = useMemo<Series[]>(() => {
    if (!histories.data) return [];
    const out: Series[] = [];
    histories.data.forEach((h, i) => {
      if (!h || h.values.length === 0) return;
      const ordered = effectiveX === 'time' ? byTime(h) : h;
      out.push({ label: runs[i]!.label, x: effectiveX === 'time' ? ordered.times : ordered.steps, y: smooth(ordered.values, smoothing) });
    });
    return out;
  }, [histories.data, effectiveX, smoothing, runs]);
  const points = histories.data?.reduce((n, h) => n + (h?.values.length ?? 0), 0) ?? 0;
  return (
    <div>
      <ErrorBox error={histories.error} />
      {histories.loading && !histories.data && <div className="chart-placeholder">Loading {metric}…</div>}
      {series.length > 0 && <Chart title={`${metric} · ${points.toLocaleString()} points`} series={series} xKind={effectiveX} log={log} theme={theme} />}
      {histories.data && series.length === 0 && <div className="chart-placeholder">{metric}: no values</div>}
    </div>
  );
}
