import type { Kysely } from 'kysely';
import { invalid, notFound } from '../core/errors.js';
import type { DB, ModelVersionRow, RegisteredModelRow } from '../db/schema.js';
import type { KeyValue } from '../tracking/types.js';
import { STAGES, type ModelVersion, type RegisteredModel, type Stage } from './types.js';

/** Reading registry rows and assembling domain objects; shared by the model, version and alias services. */

/** MLflow's `_validate_model_name`: a name is required. */
export function validateModelName(name: unknown, field = 'name'): string {
  if (typeof name !== 'string' || name === '') throw invalid(`Missing value for required parameter '${field}'.`);
  if (name.length > 256) throw invalid(`Registered model name is ${name.length} characters long; the limit is 256.`);
  return name;
}

/** A version number given as an integer or a string of digits (MLflow's `_validate_model_version`). */
export function parseVersion(version: unknown): number {
  const n = typeof version === 'string' && /^\d{1,15}$/.test(version.trim()) ? Number(version) : version;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw invalid(`Parameter 'version' must be an integer, got '${String(version)}'.`);
  }
  return n;
}

/** A stage name, case-insensitive as in MLflow's `get_canonical_stage`. */
export function canonicalStage(stage: unknown): Stage {
  const found = typeof stage === 'string' ? STAGES.find((s) => s.toLowerCase() === stage.toLowerCase()) : undefined;
  if (!found) throw invalid(`Invalid Model Version stage: ${String(stage)}. Value must be one of ${STAGES.join(', ')}.`);
  return found;
}

export async function requireModelRow(db: Kysely<DB>, name: unknown): Promise<RegisteredModelRow> {
  const n = validateModelName(name);
  const row = await db.selectFrom('registered_models').selectAll().where('name', '=', n).executeTakeFirst();
  if (!row) throw notFound(`Registered Model with name=${n} not found`);
  return row;
}

/**
 * A model's stable id, the same across renames: what anything attached to a model (gate policies, evaluations)
 * is keyed by. Null when no model has this name.
 */
export async function modelIdOf(db: Kysely<DB>, name: string): Promise<string | null> {
  const row = await db.selectFrom('registered_models').select('id').where('name', '=', name).executeTakeFirst();
  return row?.id ?? null;
}

/** A live (not deleted) version; RESOURCE_DOES_NOT_EXIST otherwise. */
export async function requireVersionRow(db: Kysely<DB>, name: unknown, version: unknown): Promise<ModelVersionRow> {
  const n = validateModelName(name);
  const v = parseVersion(version);
  const row = await db
    .selectFrom('model_versions')
    .selectAll()
    .where('name', '=', n)
    .where('version', '=', v)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (!row) throw notFound(`Model Version (name=${n}, version=${v}) not found`);
  return row;
}

const group = <T, K>(rows: T[], keyOf: (r: T) => K): Map<K, T[]> => {
  const map = new Map<K, T[]>();
  for (const r of rows) {
    const list = map.get(keyOf(r)) ?? [];
    list.push(r);
    map.set(keyOf(r), list);
  }
  return map;
};

/** Versions with their tags and aliases, in the order of `rows`. */
export async function toVersions(db: Kysely<DB>, rows: ModelVersionRow[]): Promise<ModelVersion[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const names = [...new Set(rows.map((r) => r.name))];
  const [tags, aliases] = await Promise.all([
    db.selectFrom('model_version_tags').selectAll().where('version_id', 'in', ids).orderBy('key').execute(),
    db.selectFrom('registered_model_aliases').selectAll().where('name', 'in', names).orderBy('alias').execute(),
  ]);
  const tagsOf = group(tags, (t) => t.version_id);
  const aliasesOf = group(aliases, (a) => `${a.name}\u0000${Number(a.version)}`);
  return rows.map((r) => ({
    name: r.name,
    version: Number(r.version),
    creationTimestamp: r.creation_timestamp,
    lastUpdatedTimestamp: r.last_updated_timestamp,
    userId: r.user_id,
    currentStage: r.current_stage as Stage,
    description: r.description,
    source: r.source,
    runId: r.run_id,
    runLink: r.run_link,
    status: 'READY',
    statusMessage: r.status_message,
    tags: (tagsOf.get(r.id) ?? []).map((t): KeyValue => ({ key: t.key, value: t.value })),
    aliases: (aliasesOf.get(`${r.name}\u0000${Number(r.version)}`) ?? []).map((a) => a.alias),
    modelId: r.model_id,
    contentDigest: r.content_digest,
    size: r.size === null ? null : Number(r.size),
    signature: r.signature === null ? null : (JSON.parse(r.signature) as unknown),
    flavor: r.flavor,
  }));
}

/** The newest live version of each stage among `rows`, in stage order (MLflow's latest_versions). */
export function latestPerStage(rows: ModelVersionRow[], stages: readonly Stage[] = STAGES): ModelVersionRow[] {
  const latest = new Map<string, ModelVersionRow>();
  for (const r of rows) {
    const seen = latest.get(r.current_stage);
    if (r.deleted_at === null && (!seen || Number(seen.version) < Number(r.version))) latest.set(r.current_stage, r);
  }
  return stages.flatMap((s) => (latest.has(s) ? [latest.get(s)!] : []));
}

/** Registered models with tags, aliases and latest versions, in the order of `rows`. */
export async function toModels(db: Kysely<DB>, rows: RegisteredModelRow[]): Promise<RegisteredModel[]> {
  if (rows.length === 0) return [];
  const names = rows.map((r) => r.name);
  const [tags, aliases, versions] = await Promise.all([
    db.selectFrom('registered_model_tags').selectAll().where('name', 'in', names).orderBy('key').execute(),
    db.selectFrom('registered_model_aliases').selectAll().where('name', 'in', names).orderBy('alias').execute(),
    db.selectFrom('model_versions').selectAll().where('name', 'in', names).where('deleted_at', 'is', null).execute(),
  ]);
  const tagsOf = group(tags, (t) => t.name);
  const aliasesOf = group(aliases, (a) => a.name);
  const versionsOf = group(versions, (v) => v.name);
  const latest = await toVersions(db, rows.flatMap((r) => latestPerStage(versionsOf.get(r.name) ?? [])));
  const latestOf = group(latest, (v) => v.name);
  return rows.map((r) => ({
    name: r.name,
    creationTimestamp: r.creation_timestamp,
    lastUpdatedTimestamp: r.last_updated_timestamp,
    description: r.description,
    latestVersions: latestOf.get(r.name) ?? [],
    tags: (tagsOf.get(r.name) ?? []).map((t) => ({ key: t.key, value: t.value })),
    aliases: (aliasesOf.get(r.name) ?? []).map((a) => ({ alias: a.alias, version: Number(a.version) })),
  }));
}
