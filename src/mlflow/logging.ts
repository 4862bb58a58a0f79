import { invalid } from '../core/errors.js';
import { checkJsonDepth } from '../core/limits.js';
import type { App, AppContext } from '../server/app.js';
import { logBatch, type MetricInput } from '../tracking/ingest.js';
import { logInputs, logOutputs } from '../tracking/inputs.js';
import { getRun, setRunTag } from '../tracking/runs.js';
import type { DatasetInput } from '../tracking/types.js';
import { Message, missing, routeOptions } from './request.js';

/** The run tag in which MLflow keeps the MLmodel summaries of `runs/log-model`, as a JSON list. */
export const LOGGED_MODELS_TAG = 'mlflow.log-model.history';

/** A Metric message: key, value and timestamp are required, step defaults to 0. */
function metricOf(m: Message): MetricInput {
  const key = m.requiredString('key');
  const value = m.requiredDouble('value', key);
  if (!m.has('timestamp')) throw missing(m.name('timestamp'));
  const timestamp = m.requiredInt('timestamp');
  if (timestamp < 0) {
    throw invalid(`Got invalid timestamp ${timestamp} for metric '${key}' (value=${value}). Timestamp must be a nonnegative long (64-bit integer).`);
  }
  return {
    key,
    value,
    timestamp,
    step: m.int('step') ?? 0,
    modelId: m.string('model_id') || null,
    datasetName: m.string('dataset_name') || null,
    datasetDigest: m.string('dataset_digest') || null,
  };
}

/** What MLflow records of an MLmodel (`Model.get_tags_dict`): no signature or input example, no flavor config. */
function modelSummary(model: Record<string, unknown>): Record<string, unknown> {
  const { signature: _s, input_example: _i, saved_input_example_info: _e, ...rest } = model;
  const flavors = model.flavors;
  if (flavors && typeof flavors === 'object' && !Array.isArray(flavors)) {
    rest.flavors = Object.fromEntries(
      Object.entries(flavors as Record<string, unknown>).map(([name, config]) => {
        if (!config || typeof config !== 'object' || Array.isArray(config)) return [name, config];
        const { config: _c, ...kept } = config as Record<string, unknown>;
        return [name, kept];
      }),
    );
  }
  return rest;
}

function parseModelJson(text: string): Record<string, unknown> {
  let model: unknown;
  try {
    model = JSON.parse(text);
  } catch {
    throw invalid(`Malformed model info. \n ${text} \n is not a valid JSON.`);
  }
  if (!model || typeof model !== 'object' || Array.isArray(model)) throw invalid(`Malformed model info. \n ${text} \n is not a JSON object.`);
  checkJsonDepth(model, 'model_json');
  const absent = ['artifact_path', 'flavors', 'utc_time_created', 'run_id'].filter((f) => !Object.hasOwn(model as object, f));
  if (absent.length > 0) throw invalid(`Model json is missing mandatory fields: {${absent.map((f) => `'${f}'`).join(', ')}}`);
  return model as Record<string, unknown>;
}

function datasetInputOf(m: Message): DatasetInput {
  const d = m.message('dataset');
  if (!d) throw missing(m.name('dataset'));
  return {
    tags: m.keyValues('tags'),
    dataset: {
      name: d.string('name') ?? '',
      digest: d.string('digest') ?? '',
      sourceType: d.string('source_type') ?? '',
      source: d.string('source') ?? '',
      schema: d.string('schema') ?? null,
      profile: d.string('profile') ?? null,
    },
  };
}

/** Logging to runs: log-metric, log-parameter, log-batch, log-model, log-inputs, outputs. */
export function registerLoggingRoutes(app: App, ctx: AppContext): void {
  const { db } = ctx.database;

  app.post('/runs/log-metric', routeOptions(), async (req) => {
    const m = Message.of(req);
    const runId = m.runId();
    await logBatch(ctx.database, req.actor, runId, { metrics: [metricOf(m)] });
    return {};
  });

  app.post('/runs/log-parameter', routeOptions(), async (req) => {
    const m = Message.of(req);
    const runId = m.runId();
    await logBatch(ctx.database, req.actor, runId, { params: [{ key: m.requiredString('key'), value: m.string('value') ?? '' }] });
    return {};
  });

  app.post('/runs/log-batch', routeOptions(), async (req) => {
    const m = Message.of(req);
    const runId = m.runId();
    await logBatch(ctx.database, req.actor, runId, {
      metrics: m.messages('metrics').map(metricOf),
      params: m.keyValues('params', { requireKey: true }),
      tags: m.keyValues('tags', { requireKey: true }),
    });
    return {};
  });

  app.post('/runs/log-model', routeOptions(), async (req) => {
    const m = Message.of(req);
    const runId = m.runId();
    const model = parseModelJson(m.requiredString('model_json'));
    const run = await getRun(db, runId);
    const prior = run.data.tags.find((t) => t.key === LOGGED_MODELS_TAG)?.value;
    let history: unknown[] = [];
    if (prior) {
      try {
        const parsed: unknown = JSON.parse(prior);
        if (Array.isArray(parsed)) history = parsed;
      } catch {
        // a hand-edited, unreadable history is replaced rather than failing every later log-model
      }
    }
    await setRunTag(db, req.actor, run.info.runId, { key: LOGGED_MODELS_TAG, value: JSON.stringify([...history, modelSummary(model)]) });
    return {};
  });

  app.post('/runs/log-inputs', routeOptions(), async (req) => {
    const m = Message.of(req);
    const runId = m.runId();
    await logInputs(db, req.actor, runId, {
      datasets: m.messages('datasets').map(datasetInputOf),
      models: m.messages('models').map((x) => ({ modelId: x.requiredString('model_id') })),
    });
    return {};
  });

  app.post('/runs/outputs', routeOptions(), async (req) => {
    const m = Message.of(req);
    const runId = m.runId();
    if (!m.has('models')) throw missing('models');
    const models = m.messages('models').map((x) => ({ modelId: x.requiredString('model_id'), step: x.int('step') ?? 0 }));
    await logOutputs(db, req.actor, runId, models);
    return {};
  });
}
