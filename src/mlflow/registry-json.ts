import type { ModelVersion, RegisteredModel } from '../registry/types.js';
import { compact } from './translate.js';

type Json = Record<string, unknown>;

/** A ModelVersion in MLflow's JSON: the version number as a string, status and stage by name. */
export const modelVersionJson = (v: ModelVersion): Json =>
  compact({
    name: v.name,
    version: String(v.version),
    creation_timestamp: v.creationTimestamp,
    last_updated_timestamp: v.lastUpdatedTimestamp,
    user_id: v.userId,
    current_stage: v.currentStage,
    description: v.description,
    source: v.source,
    run_id: v.runId,
    status: v.status,
    status_message: v.statusMessage,
    tags: v.tags.map((t) => ({ key: t.key, value: t.value })),
    run_link: v.runLink,
    aliases: v.aliases,
    model_id: v.modelId,
  });

/** A RegisteredModel in MLflow's JSON, with its latest version per stage, tags and aliases. */
export const registeredModelJson = (m: RegisteredModel): Json =>
  compact({
    name: m.name,
    creation_timestamp: m.creationTimestamp,
    last_updated_timestamp: m.lastUpdatedTimestamp,
    description: m.description,
    latest_versions: m.latestVersions.map(modelVersionJson),
    tags: m.tags.map((t) => ({ key: t.key, value: t.value })),
    aliases: m.aliases.map((a) => ({ alias: a.alias, version: String(a.version) })),
  });
