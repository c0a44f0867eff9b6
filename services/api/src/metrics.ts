/**
 * Prometheus metrics at `/metrics`: this process' requests and their
 * latency, and, read from Redis at scrape time, queue depth by state, live
 * workers and their caches. Job timings (queue and compute time, batch
 * sizes, jobs per pass) are counted once, by the worker that ran the job,
 * on its own `/metrics` (`METRICS_PORT`); `extra` registries (the worker's,
 * when one runs in this process) are served here too.
 */
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AppContext } from './app-context.js';
import { liveWorkers } from './live-workers.js';

const JOB_STATES = ['waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed'] as const;

export function installMetrics(app: FastifyInstance, context: AppContext, extra: readonly Registry[] = []): void {
  const own = new Registry();
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests',
    labelNames: ['method', 'route', 'status'],
    registers: [own],
  });
  const latency = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency',
    labelNames: ['method', 'route'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [own],
  });
  new Gauge({
    name: 'queue_jobs',
    help: 'Jobs in the prediction queue by state',
    labelNames: ['state'],
    registers: [own],
    async collect() {
      const counts = await context.queue.getJobCounts(...JOB_STATES);
      for (const state of JOB_STATES) this.set({ state }, counts[state] ?? 0);
    },
  });
  new Gauge({
    name: 'workers_live',
    help: 'Workers whose heartbeat is recent',
    registers: [own],
    async collect() {
      this.set((await liveWorkers(context)).length);
    },
  });
  new Gauge({
    name: 'worker_cache_events',
    help: 'Compiled-ensemble cache hits and loads, per worker',
    labelNames: ['worker', 'event'],
    registers: [own],
    async collect() {
      this.reset();
      for (const worker of await liveWorkers(context)) {
        this.set({ worker: worker.id, event: 'hit' }, worker.cache.hits);
        this.set({ worker: worker.id, event: 'load' }, worker.cache.loads);
      }
    },
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unknown';
    requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    latency.observe({ method: request.method, route }, reply.elapsedTime / 1e3);
  });
  const registry = extra.length > 0 ? Registry.merge([own, ...extra]) : own;
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );
}
