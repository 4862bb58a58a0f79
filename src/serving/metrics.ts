/**
 * Prometheus metrics of the gateway (prom-client), in a registry of its own so several servers in one process (the
 * tests) keep separate counts: requests and errors, latency histograms per deployment, version and role, and the
 * prediction log's queue depth and drops.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { modelIntegrityFailures } from '../registry/model-files.js';

/** Latency buckets in seconds: fine below 10 ms, where an in-process model answers. */
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'deployment' | 'version' | 'role' | 'status'>;
  private readonly rows: Counter<'deployment' | 'version' | 'role'>;
  private readonly latency: Histogram<'deployment' | 'version' | 'role'>;

  /** The models a gateway has loaded, with the circuit breaker's state for model servers (null in-process). */
  models: () => { model: string; version: number; breaker: string | null }[] = () => [];

  constructor(logStats: () => { queued: number; written: number; spilled: number; dropped: number; droppedBySampling: number; spillBacklog: number }) {
    collectDefaultMetrics({ register: this.registry, prefix: 'slipway_' });
    // Counted wherever a version is loaded (gateway, evaluation, monitoring) in this process.
    this.registry.registerMetric(modelIntegrityFailures);
    this.requests = new Counter({ name: 'slipway_gateway_requests_total', help: 'Prediction requests by deployment, version, role and HTTP status.', labelNames: ['deployment', 'version', 'role', 'status'], registers: [this.registry] });
    this.rows = new Counter({ name: 'slipway_gateway_predictions_total', help: 'Rows predicted by deployment, version and role.', labelNames: ['deployment', 'version', 'role'], registers: [this.registry] });
    this.latency = new Histogram({ name: 'slipway_gateway_latency_seconds', help: 'Model latency per request, by deployment, version and role.', labelNames: ['deployment', 'version', 'role'], buckets: BUCKETS, registers: [this.registry] });
    const gauge = (name: string, help: string, pick: (s: ReturnType<typeof logStats>) => number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.set(pick(logStats()));
        },
      });
    gauge('slipway_prediction_log_queue_depth', 'Predictions waiting to be written to the log.', (s) => s.queued);
    gauge('slipway_prediction_log_written_total', 'Predictions written to the log.', (s) => s.written);
    gauge('slipway_prediction_log_spilled_total', 'Predictions written to the local spill file while the store was slow or down.', (s) => s.spilled);
    gauge('slipway_prediction_log_spill_backlog', 'Spilled predictions not yet replayed into the store.', (s) => s.spillBacklog);
    gauge('slipway_prediction_log_dropped_total', 'Predictions dropped because the queue was full and spilling failed.', (s) => s.dropped);
    gauge('slipway_prediction_log_unsampled_total', 'Predictions logged without inputs and outputs, by the sampling rate.', (s) => s.droppedBySampling);
    const models = () => this.models();
    new Gauge({
      name: 'slipway_gateway_models_loaded',
      help: 'Model versions loaded on this gateway.',
      registers: [this.registry],
      collect() {
        this.set(models().length);
      },
    });
    new Gauge({
      name: 'slipway_gateway_upstream_circuit_open',
      help: 'Model servers whose circuit breaker is open (1) or half-open (0.5), by model and version.',
      labelNames: ['model', 'version'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const m of models()) if (m.breaker !== null) this.set({ model: m.model, version: String(m.version) }, m.breaker === 'open' ? 1 : m.breaker === 'half-open' ? 0.5 : 0);
      },
    });
  }

  observe(deployment: string, version: number, role: string, status: number, seconds: number, rows = 0): void {
    const v = String(version);
    this.requests.inc({ deployment, version: v, role, status: String(status) });
    this.latency.observe({ deployment, version: v, role }, seconds);
    if (rows > 0) this.rows.inc({ deployment, version: v, role }, rows);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
