/**
 * Streaming UTF-8 validation that reports the physical line of the first invalid byte.
 *
 * A fatal TextDecoder in streaming mode already handles multi-byte characters split across chunks (it holds the
 * incomplete tail until the next chunk). It does not say *where* decoding failed, so on failure we locate the
 * first bad byte by bisection, which costs nothing on the happy path.
 */
import { invalid } from '../../core/errors.js';

const NEWLINE = 0x0a;

/** Counts '\n' bytes in buf[0, end). */
export function countNewlines(buf: Uint8Array, end = buf.length): number {
  let n = 0;
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  for (let i = b.indexOf(NEWLINE); i !== -1 && i < end; i = b.indexOf(NEWLINE, i + 1)) n++;
  return n;
}

/** The bytes at the end of `buf` that start a multi-byte character not yet complete (at most 3). */
function incompleteTail(buf: Uint8Array): Uint8Array {
  for (let i = 1; i <= Math.min(3, buf.length); i++) {
    const b = buf[buf.length - i]!;
    if ((b & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead byte
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return i < need ? buf.subarray(buf.length - i) : new Uint8Array(0);
  }
  return new Uint8Array(0);
}

/** Offset of the first byte at which `bytes` stops being a valid UTF-8 prefix (bisection on prefixes). */
function firstInvalidOffset(bytes: Uint8Array): number {
  const fails = (n: number) => {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, n), { stream: true });
      return false;
    } catch {
      return true;
    }
  };
  let lo = 0;
  let hi = bytes.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (fails(mid + 1)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

const advice = 're-save the file as UTF-8 (for example with `iconv -f <encoding> -t UTF-8`)';

/** Validates a byte stream chunk by chunk and returns its text; state carries split characters across chunks. */
export class Utf8Validator {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private previous: Uint8Array = new Uint8Array(0);
  /** 1-based line number at the start of the next chunk. */
  private line = 1;
  private bytes = 0;

  /**
   * Validates the next chunk and returns its decoded text (complete characters only).
   * @throws SlipwayError INVALID_ARGUMENT naming the line of the first invalid byte.
   */
  push(chunk: Uint8Array): string {
    let text: string;
    try {
      text = this.decoder.decode(chunk, { stream: true });
    } catch {
      const tail = incompleteTail(this.previous);
      const joined = new Uint8Array(tail.length + chunk.length);
      joined.set(tail);
      joined.set(chunk, tail.length);
      // Report where the broken character starts, not the byte at which it became undecodable.
      const detected = firstInvalidOffset(joined);
      const at = detected - incompleteTail(joined.subarray(0, detected)).length;
      // The tail holds no newline (it is part of one character), so lines before the bad byte are in `joined`.
      const line = this.line + countNewlines(joined, at);
      throw invalid(`line ${line}: the file is not valid UTF-8 (invalid byte at offset ${this.bytes - tail.length + at}); ${advice}`, {
        line,
      });
    }
    this.line += countNewlines(chunk);
    this.bytes += chunk.length;
    this.previous = chunk;
    return text;
  }

  /** Flushes the decoder; fails if the file ends in the middle of a multi-byte character. */
  end(): string {
    try {
      return this.decoder.decode();
    } catch {
      throw invalid(`line ${this.line}: the file ends in the middle of a UTF-8 character; ${advice}`, { line: this.line });
    }
  }
}
