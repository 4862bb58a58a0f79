import { randomFillSync } from 'node:crypto';

let lastMs = 0;
let seq = 0;

/** Random bytes drawn 4 KB at a time: one system call per 400 ids instead of two per id. */
const pool = Buffer.alloc(4096);
let poolAt = pool.length;
function random(n: number): Buffer {
  if (poolAt + n > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  poolAt += n;
  return pool.subarray(poolAt - n, poolAt);
}

/**
 * A UUIDv7 (RFC 9562): 48 bits of epoch milliseconds, then a 12-bit counter (random start each millisecond, so ids
 * of one process are strictly increasing), then 62 random bits. Lowercase, 36 characters; sorts by time as text.
 */
export function newPredictionId(): string {
  let ms = Date.now();
  if (ms > lastMs) {
    lastMs = ms;
    seq = random(2).readUInt16BE(0) & 0x7ff; // leave half the counter space for this millisecond
  } else {
    ms = lastMs;
    seq++;
    if (seq > 0xfff) {
      // More than ~2,000 ids in one millisecond: borrow the next millisecond rather than repeat or go backwards.
      lastMs = ++ms;
      seq = 0;
    }
  }
  const rand = random(8);
  const hex = ms.toString(16).padStart(12, '0');
  const counter = (0x7000 | seq).toString(16);
  const variant = ((rand[0]! & 0x3f) | 0x80).toString(16).padStart(2, '0') + rand.toString('hex', 1, 2);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${counter}-${variant}-${rand.toString('hex', 2, 8)}`;
}

/** The format of `newPredictionId()`, and of any lowercase UUID. */
export const PREDICTION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
