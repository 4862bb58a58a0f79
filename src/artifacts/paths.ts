import { invalid } from '../core/errors.js';

// C0 controls, DEL and C1 controls: never legitimate in a file name, and several of them break logs, shells or S3 listings.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const DRIVE = /^[A-Za-z]:/;
// Common file systems and S3 keys cap names at 255 bytes and keys at 1024 bytes.
const MAX_NAME_BYTES = 255;
const MAX_PATH_BYTES = 1024;

/**
 * Validates a relative artifact path ('dir/sub/file.txt') and returns it unchanged. Throws INVALID_ARGUMENT, with a
 * message saying how to fix it, for: '' (unless `allowRoot`), absolute paths ('/x', 'C:x'), backslashes, control
 * characters, and '.', '..' or empty segments. Validation instead of silent normalization: a client that sends
 * 'a/../b' has a bug we would rather report than guess around. Percent-decoding is the caller's job.
 */
export function safeArtifactPath(input: string, options: { allowRoot?: boolean } = {}): string {
  if (typeof input !== 'string') throw invalid('Artifact path must be a string.');
  if (input === '') {
    if (options.allowRoot) return '';
    throw invalid('Artifact path is empty; give a file path relative to the artifact root, like "model/model.pkl".');
  }
  const details = { path: input };
  if (CONTROL.test(input)) {
    throw invalid('Artifact path contains a NUL or other control character; remove it from the file name.', details);
  }
  if (input.includes('\\')) {
    throw invalid(`Artifact path "${input}" contains a backslash; use "/" to separate folders.`, details);
  }
  if (input.startsWith('/') || DRIVE.test(input)) {
    throw invalid(`Artifact path "${input}" is absolute; give a path relative to the artifact root, without a leading "/" or drive letter.`, details);
  }
  if (Buffer.byteLength(input) > MAX_PATH_BYTES) {
    throw invalid(`Artifact path is longer than ${MAX_PATH_BYTES} bytes; use a shorter path.`, { path: input.slice(0, 100) });
  }
  for (const segment of input.split('/')) {
    if (Buffer.byteLength(segment) > MAX_NAME_BYTES) {
      throw invalid(`Artifact path has a file or folder name longer than ${MAX_NAME_BYTES} bytes; shorten it.`, { path: input.slice(0, 100) });
    }
    if (segment === '..') {
      throw invalid(`Artifact path "${input}" contains "..", which would leave the artifact root; use a path inside it.`, details);
    }
    if (segment === '.') {
      throw invalid(`Artifact path "${input}" contains a "." segment; remove the "./" parts.`, details);
    }
    if (segment === '') {
      throw invalid(`Artifact path "${input}" has an empty segment ("//" or a trailing "/"); remove the extra "/".`, details);
    }
  }
  return input;
}

/**
 * Like `safeArtifactPath` for a directory prefix given to `list`/`delete`: '' means the root, and one trailing '/'
 * ('model/') is accepted and dropped because clients commonly send directory names that way.
 */
export function safeArtifactPrefix(input: string): string {
  const trimmed = typeof input === 'string' && input.endsWith('/') && input !== '/' ? input.slice(0, -1) : input;
  return safeArtifactPath(trimmed, { allowRoot: true });
}

/** Sort order shared by the stores so both list the same entries in the same order. */
export function comparePaths(a: { path: string }, b: { path: string }): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}
