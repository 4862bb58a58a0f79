import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
// Type-only imports are erased: the SDK itself is loaded by openS3Store, so local-store servers never pay for it.
import type { ObjectIdentifier, S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import { invalid, notFound } from '../core/errors.js';
import { comparePaths, safeArtifactPath, safeArtifactPrefix } from './paths.js';
import type { ArtifactEntry, ArtifactStore } from './store.js';

type S3Sdk = typeof import('@aws-sdk/client-s3');
type Upload = typeof import('@aws-sdk/lib-storage').Upload;

/** Explicit connection settings; each one missing falls back to the usual AWS / MLflow environment variables. */
export interface S3StoreOptions {
  endpoint?: string;
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Defaults to true when a custom endpoint is set (MinIO, Ceph, s3rver... rarely have per-bucket DNS). */
  forcePathStyle?: boolean;
  /** Multipart tuning: memory held by one upload is about partSize * (queueSize + 1). */
  partSize?: number;
  queueSize?: number;
}

// 16 MiB * 10,000 parts (S3's limit) allows objects of up to ~160 GB from a stream of unknown length.
const DEFAULT_PART_SIZE = 16 * 1024 * 1024;
const DEFAULT_QUEUE_SIZE = 4;

/**
 * Client settings: explicit options first, then AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, MLFLOW_S3_ENDPOINT_URL;
 * AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN; AWS_REGION, AWS_DEFAULT_REGION, then us-east-1.
 */
export function s3ClientConfig(options: S3StoreOptions = {}, env: NodeJS.ProcessEnv = process.env): S3ClientConfig {
  const endpoint = options.endpoint || env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || env.MLFLOW_S3_ENDPOINT_URL;
  const envCredentials =
    env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? {
          accessKeyId: env.AWS_ACCESS_KEY_ID,
          secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
          ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
        }
      : undefined;
  const credentials = options.credentials ?? envCredentials;
  return {
    region: options.region || env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
    ...(endpoint ? { endpoint } : {}),
    forcePathStyle: options.forcePathStyle ?? Boolean(endpoint),
    // Without explicit keys the SDK's default chain applies (profiles, SSO, web identity, instance roles).
    ...(credentials ? { credentials } : {}),
    // Since SDK 3.729 the default is to add CRC32 checksums to every upload, sent as an aws-chunked body with a trailer.
    // Many S3-compatible stores (older MinIO, Ceph RGW, GCS interop, s3rver, ...) reject that or store the chunk framing
    // as object content; only compute/validate checksums where the S3 API demands one (e.g. DeleteObjects).
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
}

/** Parses s3://bucket/prefix and connects; the AWS SDK is imported here, on first use. */
export async function openS3Store(uri: string, options: S3StoreOptions = {}): Promise<S3ArtifactStore> {
  const m = /^s3:\/\/([^/]+)\/*(.*)$/i.exec(uri);
  if (!m) throw invalid(`Invalid S3 artifact URI "${uri}"; use s3://bucket or s3://bucket/prefix.`, { uri });
  const bucket = m[1]!;
  const prefix = m[2]!.replace(/\/+$/, '');
  const [sdk, { Upload }] = await Promise.all([import('@aws-sdk/client-s3'), import('@aws-sdk/lib-storage')]);
  const client = new sdk.S3Client(s3ClientConfig(options));
  return new S3ArtifactStore(sdk, Upload, client, bucket, prefix, {
    partSize: options.partSize ?? DEFAULT_PART_SIZE,
    queueSize: options.queueSize ?? DEFAULT_QUEUE_SIZE,
  });
}

/** ArtifactStore on an S3 bucket prefix. Objects are written whole (PutObject / CompleteMultipartUpload are atomic). */
export class S3ArtifactStore implements ArtifactStore {
  readonly uri: string;

  constructor(
    private readonly sdk: S3Sdk,
    private readonly Upload: Upload,
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly prefix: string,
    private readonly tuning: { partSize: number; queueSize: number },
  ) {
    this.uri = `s3://${bucket}${prefix ? `/${prefix}` : ''}`;
  }

  async put(path: string, body: NodeJS.ReadableStream | Readable): Promise<{ size: number }> {
    const key = this.key(safeArtifactPath(path));
    let size = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length;
        done(null, chunk);
      },
    });
    const upload = new this.Upload({ client: this.client, params: { Bucket: this.bucket, Key: key, Body: counter }, ...this.tuning });
    const feeding = pipeline(body, counter);
    try {
      await Promise.all([feeding, upload.done()]);
    } catch (err) {
      // A failed source leaves the uploader waiting for data (or a multipart upload half done): stop and clean it.
      counter.destroy();
      await upload.abort().catch(() => {});
      await feeding.catch(() => {});
      throw err;
    }
    return { size };
  }

  async get(path: string): Promise<{ stream: Readable; size: number }> {
    const rel = safeArtifactPath(path);
    try {
      const res = await this.client.send(new this.sdk.GetObjectCommand({ Bucket: this.bucket, Key: this.key(rel) }));
      return { stream: res.Body as Readable, size: res.ContentLength ?? 0 };
    } catch (err) {
      const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404) {
        throw notFound(`Artifact "${rel}" not found.`, { path: rel });
      }
      throw err;
    }
  }

  async list(prefix: string): Promise<ArtifactEntry[]> {
    const rel = safeArtifactPrefix(prefix);
    const dirKey = rel === '' ? this.rootDirKey() : `${this.key(rel)}/`;
    const strip = this.rootDirKey().length;
    const entries: ArtifactEntry[] = [];
    let ContinuationToken: string | undefined;
    do {
      const res = await this.client.send(
        new this.sdk.ListObjectsV2Command({ Bucket: this.bucket, Prefix: dirKey, Delimiter: '/', ContinuationToken }),
      );
      for (const p of res.CommonPrefixes ?? []) {
        if (p.Prefix) entries.push({ path: p.Prefix.slice(strip, -1), isDir: true });
      }
      for (const o of res.Contents ?? []) {
        // Skip the "folder/" marker objects some tools create: they are the directory itself, not a child.
        if (o.Key && o.Key !== dirKey) entries.push({ path: o.Key.slice(strip), isDir: false, size: o.Size ?? 0 });
      }
      ContinuationToken = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (ContinuationToken);
    return entries.sort(comparePaths);
  }

  async delete(path: string): Promise<void> {
    const rel = safeArtifactPrefix(path);
    const batch: ObjectIdentifier[] = rel === '' ? [] : [{ Key: this.key(rel) }];
    const dirKey = rel === '' ? this.rootDirKey() : `${this.key(rel)}/`;
    let ContinuationToken: string | undefined;
    do {
      const res = await this.client.send(new this.sdk.ListObjectsV2Command({ Bucket: this.bucket, Prefix: dirKey, ContinuationToken }));
      for (const o of res.Contents ?? []) if (o.Key) batch.push({ Key: o.Key });
      // DeleteObjects takes at most 1000 keys.
      while (batch.length >= 1000) await this.deleteKeys(batch.splice(0, 1000));
      ContinuationToken = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (ContinuationToken);
    if (batch.length > 0) await this.deleteKeys(batch);
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  private async deleteKeys(objects: ObjectIdentifier[]): Promise<void> {
    const res = await this.client.send(
      new this.sdk.DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: objects, Quiet: true } }),
    );
    const failed = res.Errors ?? [];
    if (failed.length > 0) {
      const first = failed[0]!;
      throw new Error(`S3 DeleteObjects failed for ${failed.length} key(s), first ${first.Key}: ${first.Code} ${first.Message}`);
    }
  }

  private key(rel: string): string {
    return this.prefix ? `${this.prefix}/${rel}` : rel;
  }

  private rootDirKey(): string {
    return this.prefix ? `${this.prefix}/` : '';
  }
}
