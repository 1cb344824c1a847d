/**
 * Prometheus metrics of `mlf models serve` (prom-client, one registry per server): requests by
 * route and status, their latency, batch sizes, queue depth, live workers and worker restarts.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface ServeMetrics {
  registry: Registry;
  observeRequest(route: string, method: string, status: number, seconds: number, batchSize?: number): void;
  workerRestarted(): void;
  /** Read at scrape time. */
  gauges(source: { queueDepth: () => number; liveWorkers: () => number; busyWorkers: () => number }): void;
  render(): Promise<{ contentType: string; body: string }>;
}

export function createMetrics(): ServeMetrics {
  const registry = new Registry();
  const requests = new Counter({ name: 'mlf_http_requests_total', help: 'HTTP requests answered, by route, method and status', labelNames: ['route', 'method', 'status'], registers: [registry] });
  const latency = new Histogram({
    name: 'mlf_http_request_duration_seconds',
    help: 'Time from the request to the end of the response, by route, method and status',
    labelNames: ['route', 'method', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const batchSizes = new Histogram({
    name: 'mlf_batch_size',
    help: 'Requests predicted together (1 without batching)',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
    registers: [registry],
  });
  const restarts = new Counter({ name: 'mlf_worker_restarts_total', help: 'Workers replaced after dying or timing out', registers: [registry] });
  let source: Parameters<ServeMetrics['gauges']>[0] | undefined;
  new Gauge({ name: 'mlf_queue_depth', help: 'Requests waiting for a worker', registers: [registry], collect() { this.set(source?.queueDepth() ?? 0); } });
  new Gauge({ name: 'mlf_workers_live', help: 'Workers up', registers: [registry], collect() { this.set(source?.liveWorkers() ?? 0); } });
  new Gauge({ name: 'mlf_workers_busy', help: 'Workers answering a request', registers: [registry], collect() { this.set(source?.busyWorkers() ?? 0); } });
  return {
    registry,
    observeRequest(route, method, status, seconds, batchSize) {
      const labels = { route, method, status: String(status) };
      requests.inc(labels);
      latency.observe(labels, seconds);
      if (batchSize !== undefined) batchSizes.observe(batchSize);
    },
    workerRestarted() {
      restarts.inc();
    },
    gauges(s) {
      source = s;
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
