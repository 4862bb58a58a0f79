import type { Static } from 'typebox';
import type * as A from '../access/routes.js';
import type * as E from '../evaluation/routes.js';
import type * as D from '../tracking/datasets/routes.js';
import type * as R from '../registry/schemas.js';
import type * as S from '../tracking/schemas.js';

export type Experiment = S.Experiment;
export type Run = S.Run;
export type ExperimentPage = Static<typeof S.ExperimentPage>;
export type RunPage = Static<typeof S.RunPage>;
export type HistoryPage = Static<typeof S.HistoryPage>;
export type LogBody = S.LogBody;
export type CreateExperimentBody = Static<typeof S.CreateExperimentBody>;
export type CreateRunBody = Static<typeof S.CreateRunBody>;
export type UpdateRunBody = Static<typeof S.UpdateRunBody>;
export type SearchRunsBody = Static<typeof S.SearchRunsBody>;
export type SearchExperimentsQuery = Static<typeof S.SearchExperimentsQuery>;
export type LogInputsBody = Static<typeof S.LogInputsBody>;
export type ArtifactList = Static<typeof S.ArtifactList>;
export type GcBody = Static<typeof S.GcBody>;
export type GcResult = S.GcResult;
export type TokenInfo = A.TokenInfoJson;
export type CreatedToken = Static<typeof A.CreatedToken>;
export type AuditEntry = A.AuditEntryJson;
export type AuditQuery = Static<typeof A.AuditQuery>;
export type RegisteredModel = R.RegisteredModel;
export type RegisteredModelDetail = R.RegisteredModelDetail;
export type ModelVersion = R.ModelVersion;
export type Lineage = R.Lineage;
export type DatasetVersion = D.DatasetVersionJson;
export type RegisterDatasetBody = D.RegisterDatasetBody;
export type StageMove = R.StageMove;
export type ModelPage = Static<typeof R.ModelPage>;
export type SearchModelsQuery = Static<typeof R.SearchModelsQuery>;
export type CreateModelBody = Static<typeof R.CreateModelBody>;
export type CreateVersionBody = Static<typeof R.CreateVersionBody>;
export type StageHistoryQuery = Static<typeof R.HistoryQuery>;
export type Evaluation = E.EvaluationJson;
export type EvaluationRequest = E.EvaluationRequest;
export type GatePolicy = E.GatePolicyJson;
export type { EvaluationReport } from '../evaluation/report.js';
export type Deployment = Omit<import('../serving/deployments.js').Deployment, 'createdAt' | 'updatedAt'> & { createdAt: string; updatedAt: string };
export type DeploymentRevision = Omit<import('../serving/deployments.js').Revision, 'at'> & { at: string };
/** `override`: an admin's written reason to let a version that has not passed the release gate answer traffic. */
export type CreateDeploymentBody = import('../serving/deployments.js').CreateDeploymentInput & { override?: { reason: string } };
export type RolloutBody = import('../serving/deployments.js').RolloutInput & { reason?: string; override?: { reason: string } };

/** An error answered by the server, with its code (`NOT_FOUND`, `INVALID_ARGUMENT`, ...) and HTTP status. */
export class SlipwayApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'SlipwayApiError';
  }
}

export interface ClientOptions {
  /** Server URL, e.g. http://127.0.0.1:7380 */
  url: string;
  /** API token (Authorization: Bearer). */
  token?: string;
  fetch?: typeof fetch;
}

type Body = NonNullable<RequestInit['body']>;
type Query = Record<string, string | number | boolean | string[] | undefined>;

/**
 * Typed client of Slipway's native API. Request and response types come from the same schemas the server
 * validates with.
 *
 * @example
 * const slipway = new SlipwayClient({ url: 'http://127.0.0.1:7380' });
 * const { experiment } = await slipway.createExperiment({ name: 'churn' });
 * const { run } = await slipway.createRun({ experimentId: experiment.id });
 * await slipway.log(run.id, { metrics: [{ key: 'auc', value: 0.91, step: 1 }], params: { lr: '0.01' } });
 */
export type WindowResult = import('../monitoring/evaluate.js').WindowResult;
export interface MonitorBody {
  deployment: string;
  window?: string | number;
  step?: string | number;
  reference?: 'training' | { dataset?: string; from?: string; to?: string };
  features?: string[];
  drift?: { methods?: Record<string, string>; thresholds?: Record<string, number>; driftShare?: number; correction?: 'none' | 'bh'; minRows?: number };
  quality?: { missingIncrease?: number; outOfRange?: number; newCategory?: number; typeMismatch?: number; nonFinite?: number };
  performance?: { label?: string; baselineWindows?: number };
}
export type MonitorJson = { name: string; evaluatedUntil: string | null; createdAt: string; updatedAt: string; createdBy: string } & import('../monitoring/monitors.js').MonitorSpec;

export class SlipwayClient {
  private readonly base: string;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: ClientOptions) {
    this.base = options.url.replace(/\/+$/, '');
    this.fetchImpl = options.fetch ?? fetch;
  }

  private async request<T>(method: string, path: string, init: { query?: Query; body?: unknown; raw?: Body; headers?: Record<string, string> } = {}): Promise<T> {
    const url = new URL(this.base + path);
    for (const [k, v] of Object.entries(init.query ?? {})) {
      if (v === undefined) continue;
      for (const item of Array.isArray(v) ? v : [v]) url.searchParams.append(k, String(item));
    }
    const headers: Record<string, string> = { ...init.headers };
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    let body: Body | undefined = init.raw;
    if (init.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(init.body);
    }
    let res: Response;
    try {
      res = await this.fetchImpl(url, { method, headers, body, ...(init.raw ? { duplex: 'half' } : {}) } as RequestInit);
    } catch (err) {
      throw new SlipwayApiError(0, 'UNREACHABLE', `Cannot reach Slipway at ${this.base} (${causeOf(err)}). Is \`slipway server\` running?`);
    }
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    const json = text ? safeJson(text) : undefined;
    if (!res.ok) {
      const e = (json as { error?: { code: string; message: string; details?: Record<string, unknown> } } | undefined)?.error;
      throw new SlipwayApiError(res.status, e?.code ?? `HTTP_${res.status}`, e?.message ?? (text || res.statusText), e?.details);
    }
    return json as T;
  }

  health = () => this.text('/health');
  version = () => this.text('/version');
  private async text(path: string): Promise<string> {
    const res = await this.fetchImpl(this.base + path);
    return res.text();
  }
  /** A text resource behind auth, with API errors thrown as for JSON calls. */
  private async textOf(path: string): Promise<string> {
    const headers: Record<string, string> = this.options.token ? { authorization: `Bearer ${this.options.token}` } : {};
    const res = await this.fetchImpl(this.base + path, { headers });
    const text = await res.text();
    if (!res.ok) {
      const e = (safeJson(text) as { error?: { code: string; message: string } } | undefined)?.error;
      throw new SlipwayApiError(res.status, e?.code ?? `HTTP_${res.status}`, e?.message ?? text);
    }
    return text;
  }

  searchExperiments = (q: SearchExperimentsQuery = {}) => this.request<ExperimentPage>('GET', '/api/v1/experiments', { query: q as Query });
  createExperiment = (body: CreateExperimentBody) => this.request<{ experiment: Experiment }>('POST', '/api/v1/experiments', { body });
  getExperiment = (id: string) => this.request<{ experiment: Experiment }>('GET', `/api/v1/experiments/${enc(id)}`);
  getExperimentByName = (name: string) => this.request<{ experiment: Experiment }>('GET', `/api/v1/experiments/by-name/${enc(name)}`);
  renameExperiment = (id: string, name: string) => this.request<{ experiment: Experiment }>('PATCH', `/api/v1/experiments/${enc(id)}`, { body: { name } });
  deleteExperiment = (id: string) => this.request<void>('DELETE', `/api/v1/experiments/${enc(id)}`);
  restoreExperiment = (id: string) => this.request<{ experiment: Experiment }>('POST', `/api/v1/experiments/${enc(id)}/restore`);
  setExperimentTag = (id: string, key: string, value: string) => this.request<void>('PUT', `/api/v1/experiments/${enc(id)}/tags/${enc(key)}`, { body: { value } });
  deleteExperimentTag = (id: string, key: string) => this.request<void>('DELETE', `/api/v1/experiments/${enc(id)}/tags/${enc(key)}`);

  createRun = (body: CreateRunBody) => this.request<{ run: Run }>('POST', '/api/v1/runs', { body });
  getRun = (id: string) => this.request<{ run: Run }>('GET', `/api/v1/runs/${enc(id)}`);
  updateRun = (id: string, body: UpdateRunBody) => this.request<{ run: Run }>('PATCH', `/api/v1/runs/${enc(id)}`, { body });
  deleteRun = (id: string) => this.request<void>('DELETE', `/api/v1/runs/${enc(id)}`);
  restoreRun = (id: string) => this.request<{ run: Run }>('POST', `/api/v1/runs/${enc(id)}/restore`);
  searchRuns = (body: SearchRunsBody) => this.request<RunPage>('POST', '/api/v1/runs/search', { body });
  /** Logs up to 1000 metrics plus params and tags in one atomic request. */
  log = (runId: string, body: LogBody) => this.request<void>('POST', `/api/v1/runs/${enc(runId)}/log`, { body });
  setRunTag = (id: string, key: string, value: string) => this.request<void>('PUT', `/api/v1/runs/${enc(id)}/tags/${enc(key)}`, { body: { value } });
  deleteRunTag = (id: string, key: string) => this.request<void>('DELETE', `/api/v1/runs/${enc(id)}/tags/${enc(key)}`);
  metricHistory = (runId: string, key: string, q: { maxResults?: number; pageToken?: string } = {}) =>
    this.request<HistoryPage>('GET', `/api/v1/runs/${enc(runId)}/metrics/${enc(key)}/history`, { query: q });
  logInputs = (runId: string, body: LogInputsBody) => this.request<void>('POST', `/api/v1/runs/${enc(runId)}/inputs`, { body });

  listArtifacts = (runId: string, path = '') => this.request<ArtifactList>('GET', `/api/v1/runs/${enc(runId)}/artifacts`, { query: { path: path || undefined } });
  uploadArtifact = (runId: string, path: string, body: Body) =>
    this.request<{ path: string; size: number }>('PUT', `/api/v1/runs/${enc(runId)}/artifacts/${encPath(path)}`, {
      raw: body,
      headers: { 'content-type': 'application/octet-stream' },
    });
  /** The raw response, so large files can be streamed. */
  async downloadArtifact(runId: string, path: string): Promise<Response> {
    const res = await this.fetchImpl(`${this.base}/api/v1/runs/${enc(runId)}/artifacts/${encPath(path)}`, {
      headers: this.options.token ? { authorization: `Bearer ${this.options.token}` } : {},
    });
    if (!res.ok) {
      const body = safeJson(await res.text()) as { error?: { code: string; message: string } } | undefined;
      throw new SlipwayApiError(res.status, body?.error?.code ?? `HTTP_${res.status}`, body?.error?.message ?? res.statusText);
    }
    return res;
  }

  searchModels = (q: SearchModelsQuery = {}) => this.request<ModelPage>('GET', '/api/v1/models', { query: q as Query });
  createModel = (body: CreateModelBody) => this.request<{ model: RegisteredModelDetail }>('POST', '/api/v1/models', { body });
  /** A registered model with all its versions and aliases. */
  getModel = (name: string) => this.request<{ model: RegisteredModelDetail }>('GET', `/api/v1/models/${enc(name)}`);
  createModelVersion = (name: string, body: CreateVersionBody) => this.request<{ version: ModelVersion; sameContentAs: number[] }>('POST', `/api/v1/models/${enc(name)}/versions`, { body });
  getModelVersion = (name: string, version: number) => this.request<{ version: ModelVersion }>('GET', `/api/v1/models/${enc(name)}/versions/${version}`);
  /**
   * Points an alias at a version (moving it when it exists); returns that version. A gate policy protecting the alias
   * may refuse (409, with the failed checks in `details.gate`); an admin may override it with a written reason.
   */
  setModelAlias = (name: string, alias: string, version: number, override?: { reason: string }) =>
    this.request<{ version: ModelVersion }>('PUT', `/api/v1/models/${enc(name)}/aliases/${enc(alias)}`, { body: { version, ...(override ? { override } : {}) } });
  deleteModelAlias = (name: string, alias: string) => this.request<void>('DELETE', `/api/v1/models/${enc(name)}/aliases/${enc(alias)}`);
  getModelVersionByAlias = (name: string, alias: string) => this.request<{ version: ModelVersion }>('GET', `/api/v1/models/${enc(name)}/aliases/${enc(alias)}`);
  /** Registers a dataset version; the same name and digest again returns the existing version (`created: false`). */
  registerDataset = (body: RegisterDatasetBody) => this.request<{ version: DatasetVersion; created: boolean }>('POST', '/api/v1/datasets', { body });
  /** Uploads a dataset file's bytes under their sha256; register the returned `source` to evaluate it on the server. */
  uploadDataset = (digest: string, body: Body) =>
    this.request<{ source: string; sizeBytes: number }>('PUT', `/api/v1/datasets/files/${enc(digest)}`, { raw: body, headers: { 'content-type': 'application/octet-stream' } });
  listDatasets = () => this.request<{ datasets: DatasetVersion[] }>('GET', '/api/v1/datasets');
  datasetVersions = (name: string) => this.request<{ versions: DatasetVersion[] }>('GET', `/api/v1/datasets/${enc(name)}`);
  getDatasetVersion = (name: string, versionOrDigest: string | number) =>
    this.request<{ version: DatasetVersion }>('GET', `/api/v1/datasets/${enc(name)}/versions/${enc(String(versionOrDigest))}`);
  /** Where a model version or run comes from: `models:/churn@production`, `models:/churn/3`, `runs:/<id>`. */
  lineage = (ref: string) => this.request<Lineage>('GET', '/api/v1/lineage', { query: { ref } });
  /** The model versions registered from a run. */
  modelVersionsOfRun = (runId: string) => this.request<{ versions: ModelVersion[] }>('GET', `/api/v1/runs/${enc(runId)}/model-versions`);
  /** Alias and stage moves of a model, newest first. */
  modelHistory = (name: string, q: StageHistoryQuery = {}) => this.request<{ entries: StageMove[] }>('GET', `/api/v1/models/${enc(name)}/history`, { query: q as Query });

  /** Starts an evaluation; with `wait`, resolves when it is done (rejecting with its error if it failed). */
  startEvaluation = (body: EvaluationRequest, wait = false) =>
    this.request<{ evaluation: Evaluation }>('POST', '/api/v1/evaluations', { body, query: { wait: wait || undefined } });
  getEvaluation = (id: string) => this.request<{ evaluation: Evaluation }>('GET', `/api/v1/evaluations/${enc(id)}`);
  listEvaluations = (model: string, version?: number) => this.request<{ evaluations: Evaluation[] }>('GET', `/api/v1/models/${enc(model)}/evaluations`, { query: { version } });
  /** Cancels a queued or running evaluation. */
  cancelEvaluation = (id: string) => this.request<{ evaluation: Evaluation }>('POST', `/api/v1/evaluations/${enc(id)}/cancel`);
  approveEvaluation = (id: string, note: string) => this.request<{ evaluation: Evaluation }>('POST', `/api/v1/evaluations/${enc(id)}/approve`, { body: { note } });
  /** Stores a new version of a model's gate policy (YAML). */
  setGatePolicy = (model: string, source: string) => this.request<{ policy: GatePolicy }>('PUT', `/api/v1/models/${enc(model)}/policy`, { body: { source } });
  getGatePolicy = (model: string, version?: number) => this.request<{ policy: GatePolicy }>('GET', `/api/v1/models/${enc(model)}/policy`, { query: { version } });
  scorecard = (id: string, format: 'html' | 'md') => this.textOf(`/api/v1/evaluations/${enc(id)}/scorecard.${format}`);

  createDeployment = (body: CreateDeploymentBody) => this.request<{ deployment: Deployment }>('POST', '/api/v1/deployments', { body });
  listDeployments = () => this.request<{ deployments: Deployment[] }>('GET', '/api/v1/deployments');
  getDeployment = (name: string) => this.request<{ deployment: Deployment }>('GET', `/api/v1/deployments/${enc(name)}`);
  deleteDeployment = (name: string) => this.request<void>('DELETE', `/api/v1/deployments/${enc(name)}`);
  /** Starts a canary, shadow or A/B rollout of another version. */
  startRollout = (name: string, body: RolloutBody) => this.request<{ deployment: Deployment }>('POST', `/api/v1/deployments/${enc(name)}/rollout`, { body });
  promoteDeployment = (name: string, reason?: string, override?: { reason: string }) =>
    this.request<{ deployment: Deployment }>('POST', `/api/v1/deployments/${enc(name)}/promote`, { body: { ...(reason ? { reason } : {}), ...(override ? { override } : {}) } });
  /** Returns all traffic to the last stable version at once. */
  rollbackDeployment = (name: string, reason?: string, override?: { reason: string }) =>
    this.request<{ deployment: Deployment }>('POST', `/api/v1/deployments/${enc(name)}/rollback`, { body: { ...(reason ? { reason } : {}), ...(override ? { override } : {}) } });
  deploymentHistory = (name: string) => this.request<{ revisions: DeploymentRevision[] }>('GET', `/api/v1/deployments/${enc(name)}/history`);
  restoreDeployment = (name: string, revision: number, override?: { reason: string }) =>
    this.request<{ deployment: Deployment }>('POST', `/api/v1/deployments/${enc(name)}/restore`, { body: { revision, ...(override ? { override } : {}) } });
  /** Attaches ground-truth labels to prediction ids. */
  sendFeedback = (items: { predictionId: string; label: unknown }[]) => this.request<{ updated: number; unknown: string[] }>('POST', '/api/v1/feedback', { body: { items } });

  // ---- monitoring ----
  createMonitor = (body: MonitorBody & { name: string }) => this.request<{ monitor: MonitorJson }>('POST', '/api/v1/monitors', { body });
  updateMonitor = (name: string, body: MonitorBody) => this.request<{ monitor: MonitorJson }>('PUT', `/api/v1/monitors/${enc(name)}`, { body });
  listMonitors = (deployment?: string) => this.request<{ monitors: MonitorJson[] }>('GET', '/api/v1/monitors', { query: { deployment } });
  getMonitor = (name: string) => this.request<{ monitor: MonitorJson }>('GET', `/api/v1/monitors/${enc(name)}`);
  deleteMonitor = (name: string) => this.request<void>('DELETE', `/api/v1/monitors/${enc(name)}`);
  /** Evaluates the windows closed since the last run, or the one window ending at `at` ("now" or ISO 8601). */
  runMonitor = (name: string, at?: string) => this.request<{ results: WindowResult[] }>('POST', `/api/v1/monitors/${enc(name)}/run`, { body: at ? { at } : {} });
  monitorResults = (name: string, q: { since?: string; until?: string; limit?: number } = {}) => this.request<{ results: WindowResult[] }>('GET', `/api/v1/monitors/${enc(name)}/results`, { query: q });
  monitorReport = (name: string, format: 'html' | 'md', window?: string) => this.textOf(`/api/v1/monitors/${enc(name)}/report?format=${format}${window ? `&window=${encodeURIComponent(window)}` : ''}`);

  listTokens = (all = false) => this.request<{ tokens: TokenInfo[] }>('GET', '/api/v1/tokens', { query: { all: all || undefined } });
  createToken = (body: { name: string; role: 'viewer' | 'editor' | 'reviewer' | 'admin'; expiresAt?: string }) => this.request<CreatedToken>('POST', '/api/v1/tokens', { body });
  revokeToken = (idOrName: string) => this.request<{ token: TokenInfo }>('DELETE', `/api/v1/tokens/${enc(idOrName)}`);
  audit = (q: AuditQuery = {}) => this.request<{ entries: AuditEntry[] }>('GET', '/api/v1/audit', { query: q as Query });
  gc = (body: GcBody = {}) => this.request<GcResult>('POST', '/api/v1/admin/gc', { body });

  /** Shadow mode: the mirrored candidate's predictions compared with stable's on the same requests. */
  shadowReport = (name: string, q: { since?: string; until?: string; tolerance?: number } = {}) =>
    this.request<{ report: import('../serving/shadow.js').ShadowReport }>('GET', `/api/v1/deployments/${enc(name)}/shadow-report`, { query: q });
  /** A/B test: assignment check (sample ratio mismatch) and an always-valid test of the outcome (label, or its field `metric`). */
  abReport = (name: string, metric?: string, q: { since?: string; until?: string; alpha?: number; tau2?: number; minPerArm?: number; direction?: 'higher' | 'lower' } = {}) =>
    this.request<{ report: import('../serving/ab.js').AbReport }>('GET', `/api/v1/deployments/${enc(name)}/ab-report`, { query: { ...q, metric } });
}

const causeOf = (err: unknown): string => {
  const cause = (err as Error).cause as { code?: string; message?: string } | undefined;
  return cause?.code ?? cause?.message ?? (err as Error).message;
};
const enc = encodeURIComponent;
const encPath = (p: string) => p.split('/').map(enc).join('/');
function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
