import type { Readable } from 'node:stream';
import { invalid } from '../core/errors.js';

/** One child of a listed directory. `path` is relative to the store root, '/' separated; `size` is set for files. */
export interface ArtifactEntry {
  path: string;
  isDir: boolean;
  size?: number;
}

/**
 * Where artifacts live. Paths are relative to the store root and checked with `safeArtifactPath`
 * (`safeArtifactPrefix` for list/delete); invalid ones fail with INVALID_ARGUMENT.
 */
export interface ArtifactStore {
  readonly uri: string;
  /** Streams body to path, replacing any existing file atomically (readers never see a partial file). Returns bytes written. */
  put(path: string, body: NodeJS.ReadableStream | Readable): Promise<{ size: number }>;
  /**
   * NOT_FOUND SlipwayError if missing, or if path is a directory. The stream holds an open file or connection:
   * the caller must read it to the end or destroy it.
   */
  get(path: string): Promise<{ stream: Readable; size: number }>;
  /** Immediate children of a directory prefix ('' = root), sorted by path; [] when absent. */
  list(prefix: string): Promise<ArtifactEntry[]>;
  /** Removes a file or a whole directory tree; no error when absent. '' empties the whole store. */
  delete(path: string): Promise<void>;
  close?(): Promise<void>;
}

/**
 * Opens the store for a URI: a plain path or file:// URI gives a local folder store (created if missing),
 * s3://bucket/prefix an S3 store. Both modules are imported lazily so a local-only server never loads the AWS SDK.
 */
export async function openArtifactStore(uri: string): Promise<ArtifactStore> {
  if (uri.trim() === '') throw invalid('Artifact store URI is empty; give a local path, a file:// URI or s3://bucket/prefix.');
  if (/^s3:\/\//i.test(uri)) {
    const { openS3Store } = await import('./s3.js');
    return openS3Store(uri);
  }
  if (/^file:/i.test(uri) || !/^[a-z][a-z0-9+.-]*:\/\//i.test(uri)) {
    const { openLocalStore } = await import('./local.js');
    return openLocalStore(uri);
  }
  throw invalid(`Unsupported artifact store URI "${uri}"; use a local path, a file:// URI or s3://bucket/prefix.`, { uri });
}
