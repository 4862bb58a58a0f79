import type { Kysely } from 'kysely';
import { recordAudit } from '../../access/audit.js';
import type { Actor } from '../../core/actor.js';
import { nowMs } from '../../core/clock.js';
import { alreadyExists, invalid, notFound } from '../../core/errors.js';
import type { DatasetVersionRow, DB } from '../../db/schema.js';
import { retryOnDuplicate } from '../../db/unique.js';
import { checkDatasetSource, type DatasetAccess } from './source-access.js';

const SHA256 = /^[0-9a-f]{64}$/;
const NAME = /^[\p{L}\p{N}_.\- /:]{1,250}$/u;
/** Registrations of one name that race each other retry this often before the caller is told to try again. */
const DATASET_RACE_ATTEMPTS = 8;

/** A dataset version: the bytes' sha256 under a name, with what profiling read from them. */
export interface DatasetVersion {
  name: string;
  version: number;
  digest: string;
  source: string;
  sourceType: string;
  format: string;
  sizeBytes: number;
  rowCount: number;
  schema: unknown;
  profile: unknown;
  createdAt: number;
  createdBy: string;
}

const toVersion = (r: DatasetVersionRow): DatasetVersion => ({
  name: r.name,
  version: Number(r.version),
  digest: r.digest,
  source: r.source,
  sourceType: r.source_type,
  format: r.format,
  sizeBytes: Number(r.size_bytes),
  rowCount: Number(r.row_count),
  schema: JSON.parse(r.schema),
  profile: JSON.parse(r.profile),
  createdAt: r.created_at,
  createdBy: r.created_by,
});

export interface RegisterDatasetInput {
  name: string;
  digest: string;
  source: string;
  sourceType: string;
  format: string;
  sizeBytes: number;
  rowCount: number;
  schema: unknown;
  profile: unknown;
}

/**
 * Registers a dataset version. The same name and digest is the same version: registering it again returns the
 * existing one with `created: false` and changes nothing. A source this server would read must pass `access`.
 */
export async function registerDatasetVersion(db: Kysely<DB>, actor: Actor, input: RegisterDatasetInput, access: DatasetAccess): Promise<{ version: DatasetVersion; created: boolean }> {
  if (!NAME.test(input.name)) throw invalid(`Invalid dataset name "${input.name}": use 1-250 letters, digits, and _ . - / : or spaces.`);
  if (!SHA256.test(input.digest)) throw invalid(`Invalid digest "${input.digest}": give the sha256 of the dataset's bytes as 64 lowercase hex characters.`);
  for (const [field, n] of [['sizeBytes', input.sizeBytes], ['rowCount', input.rowCount]] as const) {
    if (!Number.isSafeInteger(n) || n < 0) throw invalid(`${field} must be a non-negative integer, got ${n}.`);
  }
  await checkDatasetSource(access, input.source);
  // A registration racing another of the same name (PostgreSQL lets both read the same last version) fails on
  // the key; read again: the same digest is then the existing version, another digest takes the next number.
  return retryOnDuplicate(() => db.transaction().execute(async (trx) => {
    const existing = await trx.selectFrom('dataset_versions').selectAll().where('name', '=', input.name).where('digest', '=', input.digest).executeTakeFirst();
    if (existing) return { version: toVersion(existing), created: false };
    const last = await trx
      .selectFrom('dataset_versions')
      .select((eb) => eb.fn.max('version').as('v'))
      .where('name', '=', input.name)
      .executeTakeFirst();
    const row: DatasetVersionRow = {
      name: input.name,
      version: Number(last?.v ?? 0) + 1,
      digest: input.digest,
      source: input.source,
      source_type: input.sourceType,
      format: input.format,
      size_bytes: input.sizeBytes,
      row_count: input.rowCount,
      schema: JSON.stringify(input.schema ?? []),
      profile: JSON.stringify(input.profile ?? []),
      created_at: nowMs(),
      created_by: actor.name,
    };
    await trx.insertInto('dataset_versions').values(row).execute();
    await recordAudit(trx, actor, {
      action: 'dataset.register',
      targetType: 'dataset_version',
      targetId: `${row.name}/${row.version}`,
      after: { name: row.name, version: row.version, digest: row.digest, source: row.source, rowCount: row.row_count },
    });
    return { version: toVersion(row), created: true };
  }), DATASET_RACE_ATTEMPTS, () => alreadyExists(`Dataset "${input.name}" got other new versions at the same moment; register it again.`));
}

/** The newest version of every dataset, by name. */
export async function listDatasets(db: Kysely<DB>): Promise<DatasetVersion[]> {
  const rows = await db
    .selectFrom('dataset_versions as d')
    .selectAll('d')
    .where(({ eb, selectFrom }) =>
      eb('d.version', '=', selectFrom('dataset_versions as n').select((e) => e.fn.max('n.version').as('m')).whereRef('n.name', '=', 'd.name')),
    )
    .orderBy('d.name')
    .execute();
  return rows.map(toVersion);
}

/** Every version of one dataset, newest first. */
export async function listDatasetVersions(db: Kysely<DB>, name: string): Promise<DatasetVersion[]> {
  const rows = await db.selectFrom('dataset_versions').selectAll().where('name', '=', name).orderBy('version', 'desc').execute();
  if (rows.length === 0) throw notFound(`No dataset named "${name}". Register one with \`slipway datasets register FILE --name ${name}\`.`);
  return rows.map(toVersion);
}

/** One version, by number or by digest. */
export async function getDatasetVersion(db: Kysely<DB>, name: string, versionOrDigest: string): Promise<DatasetVersion> {
  let q = db.selectFrom('dataset_versions').selectAll().where('name', '=', name);
  q = /^\d{1,15}$/.test(versionOrDigest) ? q.where('version', '=', Number(versionOrDigest)) : q.where('digest', '=', versionOrDigest);
  const row = await q.executeTakeFirst();
  if (!row) throw notFound(`Dataset "${name}" has no version ${versionOrDigest}.`);
  return toVersion(row);
}
