import type { Generated } from 'kysely';

/** Row types of every table. Times are UTC epoch milliseconds. Booleans are stored as 0/1 on both dialects. */
export interface DB {
  dataset_versions: DatasetVersionRow;
  experiments: ExperimentRow;
  experiment_tags: KeyValueRow & { experiment_id: number };
  runs: RunRow;
  params: KeyValueRow & { run_uuid: string };
  tags: KeyValueRow & { run_uuid: string };
  metrics: MetricRow;
  latest_metrics: MetricRow;
  datasets: DatasetRow;
  run_inputs: { run_uuid: string; dataset_uuid: string; tags: string };
  run_model_inputs: { run_uuid: string; model_id: string };
  run_outputs: { run_uuid: string; model_id: string; step: number };
  logged_models: LoggedModelRow;
  logged_model_params: KeyValueRow & { model_id: string };
  logged_model_tags: KeyValueRow & { model_id: string };
  logged_model_metrics: LoggedModelMetricRow;
  api_tokens: ApiTokenRow;
  audit_log: AuditRow;
  registered_models: RegisteredModelRow;
  registered_model_tags: KeyValueRow & { name: string };
  model_versions: ModelVersionRow;
  model_version_tags: KeyValueRow & { version_id: string };
  registered_model_aliases: { name: string; alias: string; version: number };
  model_stage_history: StageHistoryRow;
  gate_policies: GatePolicyRow;
  evaluations: EvaluationRow;
  evaluation_approvals: { evaluation_id: string; approver: string; note: string; at: number };
  deployments: DeploymentRow;
  deployment_revisions: DeploymentRevisionRow;
  predictions: PredictionRow;
  monitor_buckets: MonitorBucketRow;
  monitors: MonitorRow;
  monitor_results: MonitorResultRow;
  alert_rules: AlertRuleRow;
  alerts: AlertRow;
  alert_events: AlertEventRow;
  alert_silences: AlertSilenceRow;
  alert_channels: AlertChannelRow;
  alert_notifications: AlertNotificationRow;
  alert_deliveries: AlertDeliveryRow;
}

export interface KeyValueRow {
  key: string;
  value: string;
}

export interface ExperimentRow {
  experiment_id: Generated<number>;
  name: string;
  artifact_location: string;
  lifecycle_stage: 'active' | 'deleted';
  creation_time: number;
  last_update_time: number;
  deleted_time: number | null;
}

export interface RunRow {
  run_uuid: string;
  experiment_id: number;
  name: string;
  user_id: string;
  status: string;
  start_time: number;
  end_time: number | null;
  lifecycle_stage: 'active' | 'deleted';
  artifact_uri: string;
  deleted_time: number | null;
}

export interface MetricRow {
  run_uuid: string;
  key: string;
  value: number;
  timestamp: number;
  step: number;
  is_nan: number;
}

export interface DatasetRow {
  dataset_uuid: string;
  experiment_id: number;
  name: string;
  digest: string;
  source_type: string;
  source: string;
  schema: string | null;
  profile: string | null;
}

export interface LoggedModelRow {
  model_id: string;
  experiment_id: number;
  name: string;
  artifact_location: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  status: string;
  status_message: string | null;
  lifecycle_stage: 'active' | 'deleted';
  model_type: string | null;
  source_run_id: string | null;
}

export interface LoggedModelMetricRow extends MetricRow {
  model_id: string;
  dataset_name: string | null;
  dataset_digest: string | null;
}

export interface ApiTokenRow {
  token_id: string;
  name: string;
  role: string;
  token_hash: string;
  prefix: string;
  created_at: number;
  created_by: string;
  last_used_at: number | null;
  revoked_at: number | null;
  expires_at: number | null;
}

export interface AuditRow {
  id: Generated<number>;
  at: number;
  actor: string;
  action: string;
  target_type: string;
  target_id: string;
  before: string | null;
  after: string | null;
}

export interface RegisteredModelRow {
  /** Stable across renames: what policies and evaluations are attached to. */
  id: string;
  name: string;
  description: string | null;
  creation_timestamp: number;
  last_updated_timestamp: number;
  last_version: number;
}

export interface ModelVersionRow {
  id: string;
  name: string;
  version: number;
  source: string;
  run_id: string | null;
  run_link: string | null;
  status: string;
  status_message: string | null;
  description: string | null;
  /** None, Staging, Production or Archived. */
  current_stage: string;
  user_id: string | null;
  creation_timestamp: number;
  last_updated_timestamp: number;
  /** The MLflow 3 logged model the version was registered from. */
  model_id: string | null;
  /** sha256 of the model's content, when known. */
  content_digest: string | null;
  size: number | null;
  /** JSON text. */
  signature: string | null;
  flavor: string | null;
  deleted_at: number | null;
  /** The artifact-store path of the version's files, when this server stores them: writes under it are refused. */
  store_path: string | null;
}

export interface StageHistoryRow {
  id: Generated<number>;
  name: string;
  version: number;
  kind: 'alias' | 'stage';
  /** The alias name, or '' for stage moves. */
  key: string;
  from_value: string | null;
  to_value: string | null;
  actor: string;
  at: number;
}

export interface DatasetVersionRow {
  name: string;
  version: number;
  digest: string;
  source: string;
  source_type: string;
  format: string;
  size_bytes: number;
  row_count: number;
  /** JSON text */
  schema: string;
  /** JSON text */
  profile: string;
  created_at: number;
  created_by: string;
}

export interface GatePolicyRow {
  /** The registered model's id (or `name:<name>` for a policy whose model was gone when ids were introduced). */
  model_id: string;
  /** The model's name when this version was written. */
  model_name: string;
  version: number;
  /** JSON text: the validated policy. */
  spec: string;
  /** The YAML (or JSON) as the user wrote it. */
  source: string;
  created_at: number;
  created_by: string;
}

export interface EvaluationRow {
  id: string;
  /** The registered model's id; null only for evaluations of models gone before ids existed. */
  model_id: string | null;
  model_name: string;
  model_version: number;
  dataset_name: string;
  dataset_version: number;
  dataset_digest: string;
  against_alias: string | null;
  champion_version: number | null;
  policy_version: number | null;
  /** JSON text: the resolved evaluation settings. */
  config: string;
  status: 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
  /** JSON text: { phase, done, total } while running. */
  progress: string | null;
  error: string | null;
  run_id: string | null;
  /** JSON text: the EvaluationReport. */
  report: string | null;
  /** 1 passed, 0 failed, null when no gate was applied. */
  gate_passed: number | null;
  created_at: number;
  finished_at: number | null;
  created_by: string;
}

export interface DeploymentRow {
  name: string;
  model_name: string;
  revision: number;
  /** JSON text: the deployment state. */
  spec: string;
  created_at: number;
  updated_at: number;
  created_by: string;
  deleted_at: number | null;
}

export interface DeploymentRevisionRow {
  name: string;
  revision: number;
  spec: string;
  /** create, update, promote, rollback, restore, ... */
  action: string;
  reason: string | null;
  actor: string;
  at: number;
}

export interface PredictionRow {
  id: string;
  deployment: string;
  model_version: number;
  role: 'stable' | 'candidate' | 'shadow';
  at: number;
  latency_ms: number;
  /** HTTP-like status: 200 answered, 4xx/5xx failed. */
  status: number;
  /** JSON text, null when not sampled. */
  inputs: string | null;
  outputs: string | null;
  error: string | null;
  request_key: string | null;
  /** JSON text: the ground truth attached later through the feedback API. */
  label: string | null;
  label_at: number | null;
}

export interface MonitorBucketRow {
  deployment: string;
  model_version: number;
  bucket_start: number;
  bucket_ms: number;
  writer: string;
  requests: number;
  rows: number;
  errors: number;
  last_at: number;
  sketch: string;
  updated_at: number;
}

export interface MonitorRow {
  name: string;
  deployment: string;
  spec: string;
  evaluated_until: number | null;
  created_at: number;
  updated_at: number;
  created_by: string;
}

export interface MonitorResultRow {
  monitor: string;
  window_end: number;
  window_start: number;
  status: 'ok' | 'insufficient' | 'failed';
  drifted_share: number | null;
  alerts: number;
  result: string;
  created_at: number;
}

export interface AlertRuleRow {
  name: string;
  /** JSON text: the validated rule. */
  spec: string;
  signal: string;
  enabled: number;
  created_at: number;
  updated_at: number;
  created_by: string;
}

export interface AlertRow {
  /** Fingerprint of rule and labels. */
  id: string;
  rule: string;
  /** JSON text. */
  labels: string;
  state: 'inactive' | 'pending' | 'firing' | 'resolved';
  severity: string;
  value: number | null;
  threshold: number;
  breaches: number;
  breach_since: number | null;
  last_sample_at: number;
  state_since: number;
  started_at: number | null;
  resolved_at: number | null;
  silenced: number;
  action_state: 'pending' | 'running' | 'done' | null;
  /** JSON text: the action's outcome. */
  action: string | null;
  /** JSON text: notes from the latest sample (where to look, a report link). */
  annotations: string | null;
  created_at: number;
  updated_at: number;
}

export interface AlertEventRow {
  id: Generated<number>;
  alert_id: string;
  rule: string;
  from_state: string;
  to_state: string;
  value: number | null;
  at: number;
  recorded_at: number;
  silenced: number;
  note: string | null;
}

export interface AlertSilenceRow {
  id: string;
  rule: string | null;
  /** JSON text. */
  labels: string;
  starts_at: number;
  ends_at: number;
  comment: string;
  created_by: string;
  created_at: number;
  expired_by: string | null;
}

export interface AlertChannelRow {
  name: string;
  type: 'webhook' | 'slack';
  url: string;
  secret: string | null;
  created_at: number;
  created_by: string;
}

export interface AlertNotificationRow {
  id: Generated<number>;
  alert_id: string | null;
  event_id: number | null;
  channel: string;
  status: 'firing' | 'resolved' | 'test';
  /** JSON text. */
  payload: string;
  state: 'pending' | 'delivered' | 'failed';
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  created_at: number;
  finished_at: number | null;
}

export interface AlertDeliveryRow {
  id: Generated<number>;
  notification_id: number;
  attempt: number;
  at: number;
  status_code: number | null;
  error: string | null;
  ok: number;
  duration_ms: number;
}
