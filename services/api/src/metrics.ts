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
  // Both read at one scrape: each shard's counts, once, then their sum.
  let counting: Promise<Awaited<ReturnType<typeof context.queues.counts<(typeof JOB_STATES)[number]>>>> | undefined;
  const counts = () => {
    counting ??= context.queues.counts(JOB_STATES).finally(() => setImmediate(() => (counting = undefined)));
    return counting;
  };
  new Gauge({
    name: 'queue_jobs',
    help: 'Jobs in the prediction queue (all its shards) by state',
    labelNames: ['state'],
    registers: [own],
    async collect() {
      const { total } = await counts();
      for (const state of JOB_STATES) this.set({ state }, total[state] ?? 0);
    },
  });
  new Gauge({
    name: 'queue_shard_jobs',
    help: 'Jobs in each shard of the prediction queue (QUEUE_SHARDS) by state',
    labelNames: ['shard', 'state'],
    registers: [own],
    async collect() {
      const { shards } = await counts();
      for (const [shard, shardCounts] of shards.entries()) {
        for (const state of JOB_STATES) this.set({ shard: String(shard), state }, shardCounts[state] ?? 0);
      }
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
