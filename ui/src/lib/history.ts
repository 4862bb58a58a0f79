import type { SlipwayClient } from '../../../src/client/index.js';
import { metricNumber } from '../format.js';

export interface History {
  steps: Float64Array;
  /** Epoch seconds. */
  times: Float64Array;
  /** null where the value is not finite. */
  values: (number | null)[];
}

/** Reads a metric's full history, page by page (50,000 points a page), sorted by step then time. */
export async function loadHistory(client: SlipwayClient, runId: string, key: string): Promise<History> {
  const points: { value: number | string; step: number; timestamp: string }[] = [];
  let pageToken: string | undefined;
  do {
    const page = await client.metricHistory(runId, key, { maxResults: 50_000, pageToken });
    for (const p of page.metrics) points.push(p);
    pageToken = page.nextPageToken ?? undefined;
  } while (pageToken);
  const rows = points.map((p) => ({ step: p.step, t: Date.parse(p.timestamp) / 1000, v: metricNumber(p.value) }));
  rows.sort((a, b) => a.step - b.step || a.t - b.t);
  return {
    steps: Float64Array.from(rows, (r) => r.step),
    times: Float64Array.from(rows, (r) => r.t),
    values: rows.map((r) => (Number.isFinite(r.v) ? r.v : null)),
  };
}

/** uPlot needs strictly usable x values: for the wall-time axis, sort by time instead. */
export function byTime(h: History): History {
  const idx = Array.from(h.times.keys()).sort((a, b) => h.times[a]! - h.times[b]!);
  return { steps: Float64Array.from(idx, (i) => h.steps[i]!), times: Float64Array.from(idx, (i) => h.times[i]!), values: idx.map((i) => h.values[i]!) };
}
