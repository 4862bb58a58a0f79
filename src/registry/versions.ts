import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { recordAudit } from '../access/audit.js';
import type { ArtifactStore } from '../artifacts/store.js';
import type { Actor } from '../core/actor.js';
import { ALLOW_ALL, type PromotionGuard } from '../core/promotion.js';
import { nowMs } from '../core/clock.js';
import { invalid, notFound } from '../core/errors.js';
import type { DB, ModelVersionRow } from '../db/schema.js';
import { requireModelRow as requireLoggedModelRow } from '../tracking/logged-models.js';
import { requireRunRow } from '../tracking/runs.js';
import type { KeyValue } from '../tracking/types.js';
import { recordMove } from './aliases.js';
import { modelServerEndpoint, isModelServerSource } from '../runtimes/model-server-url.js';
import { readArtifactFacts, storePathOf } from './artifact-facts.js';
import { canonicalStage, latestPerStage, requireModelRow, requireVersionRow, toVersions } from './load.js';
import { validateRegistryTag } from './models.js';
import { STAGES, type ModelVersion, type Stage } from './types.js';

const AUDIT_TYPE = 'model_version';
const targetOf = (row: { name: string; version: number }) => `${row.name}/${Number(row.version)}`;
/** `models:/<model_id>`: an MLflow 3 logged model (ids look like m-<32 hex>), not `models:/<name>/<version>`. */
const LOGGED_MODEL_URI = /^models:\/(m-[0-9a-f]{32})\/?$/;
const RUN_URI = /^runs:\/([^/]+)(?:\/(.*))?$/;

export interface CreateVersionInput {
  name: string;
  /** Where the model's files are: `runs:/<run_id>/path`, `mlflow-artifacts:/...`, `models:/<model_id>`, any URI. */
  source: string;
  runId?: string;
  runLink?: string;
  description?: string;
  tags?: KeyValue[];
  /** The MLflow 3 logged model; read from a `models:/<model_id>` source when not given. */
  modelId?: string;
  /** sha256 of the model's content, as 64 hex digits. */
  contentDigest?: string;
  size?: number;
  signature?: unknown;
  flavor?: string;
  /** Where the files are in this server's artifact store (set by `registerModelVersion`): writes there are refused. */
  storePath?: string | null;
}

/**
 * Registers a new version with the next number of the model. Numbers come from the model row's counter,
 * incremented by an UPDATE in the creating transaction: PostgreSQL's row lock and SQLite's single writer make
 * concurrent creates take consecutive, unique numbers. The run and logged model, when named, must exist.
 */
export async function createModelVersion(db: Kysely<DB>, actor: Actor, input: CreateVersionInput): Promise<ModelVersion> {
  if (typeof input.source !== 'string' || input.source === '') throw invalid("Missing value for required parameter 'source'.");
  const tags = [...new Map((input.tags ?? []).map(validateRegistryTag).map((t) => [t.key, t])).values()];
  if (input.contentDigest !== undefined && !/^[0-9a-f]{64}$/.test(input.contentDigest)) {
    throw invalid(`content_digest must be a sha256 digest in 64 lowercase hex digits, got '${input.contentDigest}'.`);
  }
  if (input.size !== undefined && (!Number.isSafeInteger(input.size) || input.size < 0)) throw invalid(`size must be a non-negative integer, got ${input.size}.`);
  const modelId = input.modelId || LOGGED_MODEL_URI.exec(input.source)?.[1];
  const row = await db.transaction().execute(async (trx) => {
    const model = await requireModelRow(trx, input.name);
    let runId = input.runId || null;
    if (runId) await requireRunRow(trx, runId);
    if (modelId) {
      const logged = await requireLoggedModelRow(trx, modelId);
      runId ??= logged.source_run_id;
    }
    const now = nowMs();
    const counted = await trx
      .updateTable('registered_models')
      .set((eb) => ({ last_version: eb('last_version', '+', 1), last_updated_timestamp: now }))
      .where('name', '=', model.name)
      .returning('last_version')
      .executeTakeFirst();
    // The model may have been deleted (or renamed) by a transaction that committed after our read.
    if (!counted) throw notFound(`Registered Model with name=${model.name} not found`);
    const last_version = counted.last_version;
    const row: ModelVersionRow = {
      id: randomUUID(),
      name: model.name,
      version: Number(last_version),
      source: input.source,
      run_id: runId,
      run_link: input.runLink || null,
      status: 'READY',
      status_message: null,
      description: input.description ?? null,
      current_stage: 'None',
      user_id: actor.name,
      creation_timestamp: now,
      last_updated_timestamp: now,
      model_id: modelId ?? null,
      content_digest: input.contentDigest ?? null,
      size: input.size ?? null,
      signature: input.signature === undefined || input.signature === null ? null : JSON.stringify(input.signature),
      flavor: input.flavor ?? null,
      deleted_at: null,
      store_path: input.storePath ?? null,
    };
    await trx.insertInto('model_versions').values(row).execute();
    if (tags.length > 0) await trx.insertInto('model_version_tags').values(tags.map((t) => ({ version_id: row.id, key: t.key, value: t.value }))).execute();
    const { id: _id, deleted_at: _deleted, store_path: _path, ...after } = row;
    await recordAudit(trx, actor, { action: 'model_version.create', targetType: AUDIT_TYPE, targetId: targetOf(row), after: { ...after, tags } });
    return row;
  });
  return (await toVersions(db, [row]))[0]!;
}

/** A live version with its tags and aliases. */
export async function getModelVersion(db: Kysely<DB>, name: unknown, version: unknown): Promise<ModelVersion> {
  return (await toVersions(db, [await requireVersionRow(db, name, version)]))[0]!;
}

/** Sets a version's description. */
export async function updateModelVersion(db: Kysely<DB>, actor: Actor, name: unknown, version: unknown, description: string | undefined): Promise<ModelVersion> {
  const row = await db.transaction().execute(async (trx) => {
    const row = await requireVersionRow(trx, name, version);
    if (description === undefined) return row;
    await trx.updateTable('model_versions').set({ description, last_updated_timestamp: nowMs() }).where('id', '=', row.id).execute();
    await recordAudit(trx, actor, { action: 'model_version.update', targetType: AUDIT_TYPE, targetId: targetOf(row), before: { description: row.description }, after: { description } });
    return row;
  });
  return getModelVersion(db, row.name, row.version);
}

/**
 * Deletes a version: its row stays (hidden) so its number is never given again, as in MLflow; its tags go, and
 * aliases pointing at it are removed (each removal recorded in the stage history).
 */
export async function deleteModelVersion(db: Kysely<DB>, actor: Actor, name: unknown, version: unknown): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const row = await requireVersionRow(trx, name, version);
    const v = Number(row.version);
    const aliases = await trx.selectFrom('registered_model_aliases').select('alias').where('name', '=', row.name).where('version', '=', v).execute();
    for (const { alias } of aliases) {
      await recordMove(trx, actor, { name: row.name, version: v, kind: 'alias', key: alias, from: String(v), to: null });
    }
    await trx.deleteFrom('registered_model_aliases').where('name', '=', row.name).where('version', '=', v).execute();
    await trx.deleteFrom('model_version_tags').where('version_id', '=', row.id).execute();
    const now = nowMs();
    await trx.updateTable('model_versions').set({ deleted_at: now, last_updated_timestamp: now }).where('id', '=', row.id).execute();
    await recordAudit(trx, actor, {
      action: 'model_version.delete',
      targetType: AUDIT_TYPE,
      targetId: targetOf(row),
      before: { source: row.source, currentStage: row.current_stage, aliases: aliases.map((a) => a.alias) },
      after: null,
    });
  });
}

/** Sets (or replaces) a tag of a version. */
export async function setModelVersionTag(db: Kysely<DB>, actor: Actor, name: unknown, version: unknown, tag: KeyValue): Promise<void> {
  validateRegistryTag(tag);
  await db.transaction().execute(async (trx) => {
    const row = await requireVersionRow(trx, name, version);
    const before = await trx.selectFrom('model_version_tags').select('value').where('version_id', '=', row.id).where('key', '=', tag.key).executeTakeFirst();
    await trx
      .insertInto('model_version_tags')
      .values({ version_id: row.id, key: tag.key, value: tag.value })
      .onConflict((oc) => oc.columns(['version_id', 'key']).doUpdateSet({ value: tag.value }))
      .execute();
    await recordAudit(trx, actor, {
      action: 'model_version.set_tag',
      targetType: AUDIT_TYPE,
      targetId: targetOf(row),
      before: before ? { [tag.key]: before.value } : null,
      after: { [tag.key]: tag.value },
    });
  });
}

/** Deletes a tag of a version; a tag it does not have is a no-op, as in MLflow. */
export async function deleteModelVersionTag(db: Kysely<DB>, actor: Actor, name: unknown, version: unknown, key: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const row = await requireVersionRow(trx, name, version);
    const before = await trx.selectFrom('model_version_tags').select('value').where('version_id', '=', row.id).where('key', '=', key).executeTakeFirst();
    if (!before) return;
    await trx.deleteFrom('model_version_tags').where('version_id', '=', row.id).where('key', '=', key).execute();
    await recordAudit(trx, actor, { action: 'model_version.delete_tag', targetType: AUDIT_TYPE, targetId: targetOf(row), before: { [key]: before.value }, after: null });
  });
}

const ACTIVE_STAGES: readonly Stage[] = ['Staging', 'Production'];

/**
 * Moves a version to a stage. With `archiveExisting` (only for Staging and Production) the other versions in that
 * stage move to Archived in the same transaction. Every move is recorded in the stage history.
 */
export async function transitionModelVersionStage(
  db: Kysely<DB>,
  actor: Actor,
  name: unknown,
  version: unknown,
  stage: unknown,
  archiveExisting: boolean,
  guard: PromotionGuard = ALLOW_ALL,
): Promise<ModelVersion> {
  const to = canonicalStage(stage);
  if (archiveExisting && !ACTIVE_STAGES.includes(to)) {
    throw invalid(`Model version transition cannot archive existing model versions because '${to}' is not an Active stage. Valid stages are ${ACTIVE_STAGES.join(', ')}`);
  }
  const target = await requireVersionRow(db, name, version);
  if (target.current_stage !== to) await guard({ model: target.name, version: Number(target.version), kind: 'stage', key: to, actor });
  const row = await db.transaction().execute(async (trx) => {
    const row = await requireVersionRow(trx, name, version);
    const now = nowMs();
    const moves: ModelVersionRow[] = [];
    if (archiveExisting) {
      moves.push(
        ...(await trx
          .selectFrom('model_versions')
          .selectAll()
          .where('name', '=', row.name)
          .where('current_stage', '=', to)
          .where('deleted_at', 'is', null)
          .where('id', '!=', row.id)
          .orderBy('version')
          .execute()),
      );
    }
    for (const other of moves) {
      await trx.updateTable('model_versions').set({ current_stage: 'Archived', last_updated_timestamp: now }).where('id', '=', other.id).execute();
      await recordMove(trx, actor, { name: row.name, version: Number(other.version), kind: 'stage', key: '', from: other.current_stage, to: 'Archived' });
    }
    await trx.updateTable('model_versions').set({ current_stage: to, last_updated_timestamp: now }).where('id', '=', row.id).execute();
    await trx.updateTable('registered_models').set({ last_updated_timestamp: now }).where('name', '=', row.name).execute();
    await recordMove(trx, actor, { name: row.name, version: Number(row.version), kind: 'stage', key: '', from: row.current_stage, to });
    await recordAudit(trx, actor, {
      action: 'model_version.transition_stage',
      targetType: AUDIT_TYPE,
      targetId: targetOf(row),
      before: { currentStage: row.current_stage },
      after: { currentStage: to, archived: moves.map((m) => Number(m.version)) },
    });
    return row;
  });
  return getModelVersion(db, row.name, row.version);
}

/** The newest live version in each of `stages` (every stage when none are given), in stage order. */
export async function getLatestVersions(db: Kysely<DB>, name: unknown, stages: readonly string[] = []): Promise<ModelVersion[]> {
  const model = await requireModelRow(db, name);
  const wanted = stages.length === 0 ? STAGES : [...new Set(stages.map(canonicalStage))];
  const rows = await db.selectFrom('model_versions').selectAll().where('name', '=', model.name).where('deleted_at', 'is', null).execute();
  return toVersions(db, latestPerStage(rows, wanted));
}

/**
 * Where a version's files can be downloaded: a `runs:/` source resolves to the run's artifact location, a
 * `models:/<model_id>` source to the logged model's; any other source is its own location.
 */
export async function getModelVersionDownloadUri(db: Kysely<DB>, name: unknown, version: unknown): Promise<string> {
  const row = await requireVersionRow(db, name, version);
  const run = RUN_URI.exec(row.source);
  if (run) {
    const runRow = await requireRunRow(db, run[1]);
    return run[2] ? `${runRow.artifact_uri}/${run[2].replace(/^\/+/, '')}` : runRow.artifact_uri;
  }
  const logged = LOGGED_MODEL_URI.exec(row.source);
  if (logged) return (await requireLoggedModelRow(db, logged[1])).artifact_location;
  return row.source;
}

/** Every live version of a model, newest first. */
export async function listModelVersions(db: Kysely<DB>, name: unknown): Promise<ModelVersion[]> {
  const model = await requireModelRow(db, name);
  const rows = await db.selectFrom('model_versions').selectAll().where('name', '=', model.name).where('deleted_at', 'is', null).orderBy('version', 'desc').execute();
  return toVersions(db, rows);
}

/** The tag that marks a version whose bytes equal earlier versions of the same model. */
export const SAME_CONTENT_TAG = 'slipway.same_content_as';

/**
 * Registers a version as `createModelVersion` does, first checking what it points at: a model server must be one
 * `reach.modelServerHosts` allows (runtimes/model-server-url.ts); files in this server's store give the digest, size,
 * flavor and signature (values the caller gives win, but a digest must match the files) and must not name ONNX
 * external data outside themselves (runtimes/onnx/external-data.ts), and their store path becomes immutable.
 * Identical bytes registered again are reported: `sameContentAs` lists the earlier versions, and the new version
 * carries them in the `slipway.same_content_as` tag.
 */
export async function registerModelVersion(
  db: Kysely<DB>,
  store: ArtifactStore,
  actor: Actor,
  input: CreateVersionInput,
  reach: { modelServerHosts: readonly string[] },
): Promise<{ version: ModelVersion; sameContentAs: number[] }> {
  const source = typeof input.source === 'string' ? input.source : '';
  if (isModelServerSource(source)) modelServerEndpoint(source, reach.modelServerHosts);
  const storePath = source === '' ? null : (await storePathOf(db, source)) || null;
  const facts = storePath === null ? null : await readArtifactFacts(db, store, source);
  if (facts && input.contentDigest !== undefined && input.contentDigest !== facts.contentDigest) {
    throw invalid(`content_digest ${input.contentDigest} does not match the files at ${source} (sha256 ${facts.contentDigest}); leave it out and the server computes it.`);
  }
  const digest = input.contentDigest ?? facts?.contentDigest;
  const earlier = digest
    ? await db
        .selectFrom('model_versions')
        .select('version')
        .where('name', '=', input.name)
        .where('content_digest', '=', digest)
        .where('deleted_at', 'is', null)
        .orderBy('version')
        .execute()
    : [];
  const sameContentAs = earlier.map((r) => Number(r.version));
  const tags = [...(input.tags ?? [])];
  if (sameContentAs.length > 0) tags.push({ key: SAME_CONTENT_TAG, value: sameContentAs.map((v) => `v${v}`).join(',') });
  const version = await createModelVersion(db, actor, {
    ...input,
    tags,
    storePath,
    contentDigest: digest,
    size: input.size ?? facts?.size,
    flavor: input.flavor ?? facts?.flavor ?? undefined,
    signature: input.signature ?? facts?.signature ?? undefined,
  });
  return { version, sameContentAs };
}
