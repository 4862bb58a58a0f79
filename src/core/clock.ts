/** Time is UTC milliseconds in storage and ISO 8601 at the edges. */
export const nowMs = (): number => Date.now();
export const isoOf = (ms: number | null | undefined): string | null =>
  ms === null || ms === undefined ? null : new Date(ms).toISOString();
