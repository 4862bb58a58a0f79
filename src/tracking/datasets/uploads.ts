/**
 * Dataset files uploaded to the artifact store, under their sha256: the common way to register a dataset, since
 * the server then reads only its own store and needs no access to the client's file system.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { invalid, SlipwayError } from '../../core/errors.js';
import type { DatasetAccess } from './source-access.js';

const SHA256 = /^[0-9a-f]{64}$/;
const mb = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(1)} MB`;

/** The store path and the source URI of the uploaded dataset file with this digest. */
export const uploadedDatasetPath = (digest: string) => `datasets/${digest}`;
export const uploadedDatasetSource = (digest: string) => `mlflow-artifacts:/${uploadedDatasetPath(digest)}`;

const tooLarge = (max: number) =>
  new SlipwayError('PAYLOAD_TOO_LARGE', `The dataset file is larger than ${mb(max)}, the most this server accepts; split it, or ask an admin to raise the limit (--max-dataset-mb, SLIPWAY_MAX_DATASET_MB).`, { maxBytes: max });

/**
 * Streams an upload into the store under `digest`. The bytes must hash to `digest` and fit `access.maxBytes`;
 * otherwise nothing is stored (a copy already there is left as it was) and the error says which.
 */
export async function storeDatasetUpload(access: DatasetAccess, digest: string, body: Readable, declaredBytes?: number): Promise<{ source: string; sizeBytes: number }> {
  if (!SHA256.test(digest)) throw invalid(`Invalid digest "${digest}": give the sha256 of the file's bytes as 64 lowercase hex characters.`);
  if (declaredBytes !== undefined && declaredBytes > access.maxBytes) throw tooLarge(access.maxBytes);
  const hash = createHash('sha256');
  const max = access.maxBytes;
  // Failing inside the stream, before the store's final rename, keeps bytes that do not match their name out of it.
  async function* checked(): AsyncGenerator<Buffer> {
    let seen = 0;
    for await (const chunk of body as AsyncIterable<Buffer>) {
      seen += chunk.length;
      if (seen > max) throw tooLarge(max);
      hash.update(chunk);
      yield chunk;
    }
    if (hash.digest('hex') !== digest) throw invalid(`The uploaded bytes do not have sha256 ${digest}; upload the file again (it may have changed while being sent).`, { digest });
  }
  const { size } = await access.store.put(uploadedDatasetPath(digest), Readable.from(checked()));
  return { source: uploadedDatasetSource(digest), sizeBytes: size };
}
