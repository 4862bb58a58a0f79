import type { KeyValue } from '../tracking/types.js';

/** MLflow's model version stages; `None` is the stage of a new version. */
export const STAGES = ['None', 'Staging', 'Production', 'Archived'] as const;
export type Stage = (typeof STAGES)[number];

export interface ModelVersion {
  name: string;
  version: number;
  creationTimestamp: number;
  lastUpdatedTimestamp: number;
  userId: string | null;
  currentStage: Stage;
  description: string | null;
  source: string;
  runId: string | null;
  runLink: string | null;
  status: 'READY';
  statusMessage: string | null;
  tags: KeyValue[];
  aliases: string[];
  modelId: string | null;
  contentDigest: string | null;
  size: number | null;
  /** Parsed from its JSON text; null when not recorded. */
  signature: unknown;
  flavor: string | null;
}

export interface ModelAlias {
  alias: string;
  version: number;
}

export interface RegisteredModel {
  name: string;
  creationTimestamp: number;
  lastUpdatedTimestamp: number;
  description: string | null;
  /** The newest version in each stage, as MLflow's `latest_versions`. */
  latestVersions: ModelVersion[];
  tags: KeyValue[];
  aliases: ModelAlias[];
}

/** One alias or stage move, as recorded in model_stage_history. */
export interface StageMove {
  id: number;
  name: string;
  version: number;
  kind: 'alias' | 'stage';
  /** The alias name; '' for stage moves. */
  key: string;
  from: string | null;
  to: string | null;
  actor: string;
  at: number;
}
