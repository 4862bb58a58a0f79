import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface Series {
  label: string;
  /** x values, ascending. */
  x: Float64Array | number[];
  y: (number | null)[];
}

export interface ChartProps {
  title: string;
  series: Series[];
  /** Wall time x values are epoch seconds. */
  xKind: 'step' | 'time';
  log: boolean;
  height?: number;
  theme: string;
}

export const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#9333ea', '#0891b2', '#db2777', '#65a30d', '#7c3aed', '#ea580c'];

const cssVar = (name: string) => getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';

/**
 * One uPlot chart. uPlot draws on a canvas with a min/max decimation per pixel, so 100,000 points per series stay
 * interactive; several series are aligned on one x axis with uPlot.join.
 */
export function Chart({ title, series, xKind, log, height = 260, theme }: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const data: uPlot.AlignedData =
      series.length === 1
        ? [series[0]!.x, series[0]!.y.map((v) => (log && v !== null && v <= 0 ? null : v))]
        : uPlot.join(
            series.map((s) => [s.x as number[], s.y.map((v) => (log && v !== null && v <= 0 ? null : v)) as number[]] as uPlot.AlignedData),
          );
    const axis = { stroke: cssVar('--muted'), grid: { stroke: cssVar('--grid'), width: 1 }, ticks: { stroke: cssVar('--grid'), width: 1 } };
    const opts: uPlot.Options = {
      width: el.clientWidth || 600,
      height,
      scales: { x: { time: xKind === 'time' }, y: log ? { distr: 3 } : {} },
      axes: [axis, { ...axis, size: 60 }],
      legend: { show: true, live: true },
      cursor: { drag: { x: true, y: false } },
      series: [
        { label: xKind === 'time' ? 'time' : 'step' },
        ...series.map((s, i) => ({ label: s.label, stroke: PALETTE[i % PALETTE.length], width: 1.5, spanGaps: true, points: { show: false } })),
      ],
    };
    const plot = new uPlot(opts, data, el);
    const resize = new ResizeObserver(() => plot.setSize({ width: el.clientWidth, height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [series, xKind, log, height, theme]);
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <div ref={box} className="chart-plot" />
    </figure>
  );
}
