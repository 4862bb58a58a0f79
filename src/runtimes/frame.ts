/**
 * Columnar rows, as evaluation reads a dataset and as the gateway decodes a request: numbers in a Float64Array
 * (NaN for missing), anything else as strings (null for missing).
 */
export type Column = { kind: 'number'; values: Float64Array } | { kind: 'string'; values: (string | null)[] };

export interface Frame {
  rows: number;
  /** In the order the source had them. */
  columns: Map<string, Column>;
}

/** Rows [start, end) of a frame; the arrays are views or shallow slices, not copies of the values. */
export function sliceFrame(frame: Frame, start: number, end: number): Frame {
  const columns = new Map<string, Column>();
  for (const [name, c] of frame.columns) {
    columns.set(name, c.kind === 'number' ? { kind: 'number', values: c.values.subarray(start, end) } : { kind: 'string', values: c.values.slice(start, end) });
  }
  return { rows: end - start, columns };
}
