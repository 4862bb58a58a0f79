/**
 * A monitor's reference profile: by default the dataset the served version was trained on (the `train` /
 * `training` input of its run, as MLflow's log-inputs records it), else the dataset it was last evaluated on;
 * or a registered dataset; or a past production window. Inputs are summarised exactly from the dataset's rows; the
 * prediction's profile comes from running the version on those rows once (when it can be run here).
 * Profiles are cached per (version, dataset digest) in memory: building one reads the whole dataset.
 */
import type { Kysely } from 'kysely';
import type { ArtifactStore } from '../artifacts/store.js';
import { invalid } from '../core/errors.js';
import type { DB } from '../db/schema.js';
import { loadFrame, resolveDataset } from '../evaluation/dataset.js';
import { openVersionRuntime } from '../registry/runtime.js';
import type { ModelVersion } from '../registry/types.js';
import { sliceFrame, type Column, type Frame } from '../runtimes/frame.js';
import type { ModelRuntime } from '../runtimes/types.js';
import { mulberry32 } from '../stats/random.js';
import { getRun } from '../tracking/runs.js';
import type { DatasetAccess } from '../tracking/datasets/source-access.js';
import type { DatasetVersion } from '../tracking/datasets/versions.js';
import type { ReferenceSpec } from './monitors.js';
import { foldPredictions, readWindow } from './sketcher.js';
import { ColumnSketch, summarizeColumn, type ColumnSummary, type WindowSummary } from './summary.js';

export interface ReferenceProfile {
  summary: WindowSummary;
  /** Where it came from, for reports: "dataset churn-train v2 (training data of churn v3)". */
  label: string;
  /** The reference frame, kept for calibration and segment search (null for a production window). */
  frame: Frame | null;
  /** The model's positive-class probabilities on the reference rows (binary classifiers), for calibration. */
  scores: Float64Array | null;
  /**
   * How much the model's answers depend on each input (permutation importance on up to 2,000 reference rows): the
   * share of predicted labels that change when the column is shuffled, or for a regression the mean change of the
   * prediction over the predictions' standard deviation. Empty when the model cannot be run here.
   */
  importance: Record<string, number>;
}

const TRAIN_CONTEXTS = new Set(['train', 'training']);

/** The dataset version behind a model version's training (or, failing that, its latest evaluation). */
export async function trainingDataset(db: Kysely<DB>, v: ModelVersion): Promise<{ dataset: DatasetVersion; why: string }> {
  if (v.runId) {
    const run = await getRun(db, v.runId).catch(() => null);
    const input = run?.inputs.datasetInputs.find((i) => TRAIN_CONTEXTS.has(i.tags.find((t) => t.key === 'mlflow.data.context')?.value ?? ''));
    if (input) {
      const dataset = await resolveDataset(db, `${input.dataset.name}@${input.dataset.digest}`).catch(() => null);
      if (dataset) return { dataset, why: `training data of ${v.name} v${v.version}` };
    }
  }
  const evaluation = await db
    .selectFrom('evaluations')
    .select(['dataset_name', 'dataset_version'])
    .where('model_name', '=', v.name)
    .where('model_version', '=', v.version)
    .where('status', '=', 'completed')
    .orderBy('created_at', 'desc')
    .executeTakeFirst();
  if (evaluation) return { dataset: await resolveDataset(db, `${evaluation.dataset_name}@${evaluation.dataset_version}`), why: `evaluation data of ${v.name} v${v.version}` };
  throw invalid(
    `${v.name} v${v.version} has no training dataset on record (its run has no dataset input with context "train") and no completed evaluation. Give the monitor a reference: a registered dataset (reference.dataset) or a past production window (reference.from, reference.to).`,
  );
}

export class ReferenceProfiles {
  private readonly cache = new Map<string, Promise<ReferenceProfile>>();

  constructor(
    private readonly db: Kysely<DB>,
    private readonly store: ArtifactStore,
    private readonly datasets: DatasetAccess,
    /** Hosts a model-server version may call: `TrustSettings.modelServerHosts`. */
    private readonly modelServerHosts: readonly string[],
  ) {}

  /** The profile for a monitor's reference, for the version its deployment serves. */
  get(spec: ReferenceSpec, deployment: string, version: ModelVersion): Promise<ReferenceProfile> {
    const key = spec.type === 'window' ? `w\u0000${deployment}\u0000${spec.from}\u0000${spec.to}` : spec.type === 'dataset' ? `d\u0000${spec.dataset}\u0000${version.name}\u0000${version.version}` : `t\u0000${version.name}\u0000${version.version}`;
    let hit = this.cache.get(key);
    if (!hit) {
      hit = this.build(spec, deployment, version);
      this.cache.set(key, hit);
      // A failure is not cached: the next evaluation tries again (the dataset may be registered by then).
      hit.catch(() => this.cache.delete(key));
      if (this.cache.size > 32) this.cache.delete(this.cache.keys().next().value!);
    }
    return hit;
  }

  private async build(spec: ReferenceSpec, deployment: string, version: ModelVersion): Promise<ReferenceProfile> {
    if (spec.type === 'window') {
      const w = await readWindow(this.db, deployment, spec.from, spec.to);
      if (w.rows === 0) throw invalid(`The reference window ${new Date(spec.from).toISOString()} – ${new Date(spec.to).toISOString()} holds no predictions of "${deployment}".`);
      return { summary: w.summary, label: `production window ${new Date(spec.from).toISOString().slice(0, 16)} – ${new Date(spec.to).toISOString().slice(0, 16)}`, frame: null, scores: null, importance: {} };
    }
    const { dataset, why } = spec.type === 'dataset' ? { dataset: await resolveDataset(this.db, spec.dataset), why: 'chosen reference' } : await trainingDataset(this.db, version);
    const frame = await loadFrame(this.datasets, dataset);
    const columns = new Map<string, ColumnSummary>();
    for (const [name, col] of frame.columns) columns.set(name, summarizeColumn(col));
    let scores: Float64Array | null = null;
    let importance: Record<string, number> = {};
    // The prediction's reference: the version run on the reference rows.
    try {
      const runtime = await openVersionRuntime(this.db, this.store, version, { purpose: 'evaluate', classes: null, modelServerHosts: this.modelServerHosts });
      try {
        const sketches = new Map<string, ColumnSketch>();
        const parts: Float64Array[] = [];
        for (let s = 0; s < frame.rows; s += 4096) {
          const p = await runtime.predict(sliceFrame(frame, s, Math.min(frame.rows, s + 4096)));
          foldPredictions(sketches, p);
          if (p.proba && p.classes?.length === 2) parts.push(Float64Array.from({ length: p.rows }, (_, r) => p.proba![r * 2 + 1]!));
        }
        for (const [name, sk] of sketches) columns.set(name, sk.summary());
        if (parts.length > 0) {
          scores = new Float64Array(frame.rows);
          let at = 0;
          for (const part of parts) {
            scores.set(part, at);
            at += part.length;
          }
        }
        importance = await permutationImportance(runtime, frame);
      } finally {
        await runtime.close();
      }
    } catch {
      // A model that cannot be run here (a server that is down, no ONNX file): inputs only, no prediction drift.
    }
    return { summary: { rows: frame.rows, columns }, label: `dataset ${dataset.name} v${dataset.version} (${why})`, frame, scores, importance };
  }
}

const IMPORTANCE_ROWS = 2000;

/** Permutation importance of each input the model reads, on an even sample of the reference (seeded shuffles). */
export async function permutationImportance(runtime: ModelRuntime, frame: Frame): Promise<Record<string, number>> {
  const rows = Math.min(frame.rows, IMPORTANCE_ROWS);
  if (rows < 10) return {};
  const step = frame.rows / rows;
  const idx = Array.from({ length: rows }, (_, i) => Math.floor(i * step));
  const sample = new Map<string, Column>();
  for (const [name, c] of frame.columns) {
    sample.set(name, c.kind === 'number' ? { kind: 'number', values: Float64Array.from(idx, (i) => c.values[i]!) } : { kind: 'string', values: idx.map((i) => c.values[i] ?? null) });
  }
  const base = await runtime.predict({ rows, columns: sample });
  const rng = mulberry32(7);
  const order = Array.from({ length: rows }, (_, i) => i);
  const out: Record<string, number> = {};
  const inputs = runtime.inputs.length > 0 ? runtime.inputs.map((i) => i.name) : [...sample.keys()];
  let sd = NaN;
  if (base.value) {
    let m = 0;
    for (let r = 0; r < rows; r++) m += base.value[r]!;
    m /= rows;
    let v = 0;
    for (let r = 0; r < rows; r++) v += (base.value[r]! - m) ** 2;
    sd = Math.sqrt(v / rows);
  }
  for (const name of inputs) {
    const c = sample.get(name);
    if (!c) continue;
    for (let i = rows - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const shuffled: Column = c.kind === 'number' ? { kind: 'number', values: Float64Array.from(order, (i) => c.values[i]!) } : { kind: 'string', values: order.map((i) => c.values[i] ?? null) };
    const p = await runtime.predict({ rows, columns: new Map(sample).set(name, shuffled) });
    let change = 0;
    if (base.labelIndex && p.labelIndex) for (let r = 0; r < rows; r++) change += base.labelIndex[r] !== p.labelIndex[r] ? 1 : 0;
    else if (base.value && p.value) for (let r = 0; r < rows; r++) change += sd > 0 ? Math.abs(p.value[r]! - base.value[r]!) / sd : 0;
    out[name] = change / rows;
  }
  return out;
}
