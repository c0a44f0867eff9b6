/**
 * Prometheus metrics at `/metrics`: requests and their latency, queue depth
 * by state, job queue and compute times, batch sizes, jobs per forward pass,
 * worker caches and live workers. Queue and worker figures are read from
 * Redis at scrape time; job figures come from the queue's completion events
 * (each API process counts every job, so sum over one API process, or use
 * `max` across them).
 */
import { type PredictionJobData, predictionJobResultSchema } from '@ensembles/jobs';
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AppContext } from './app-context.js';
import { liveWorkers } from './live-workers.js';

const JOB_STATES = ['waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed'] as const;

export function installMetrics(app: FastifyInstance, context: AppContext): void {
  const registry = new Registry();
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency',
    labelNames: ['method', 'route'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const queueTime = new Histogram({
    name: 'job_queue_seconds',
    help: 'Submission to completion, less compute',
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    registers: [registry],
  });
  const computeTime = new Histogram({
    name: 'job_compute_seconds',
    help: 'Forward pass a job ran in',
    buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [registry],
  });
  const batchRows = new Histogram({
    name: 'job_batch_rows',
    help: 'Rows in the forward pass a job ran in',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
    registers: [registry],
  });
  const jobsPerPass = new Histogram({
    name: 'job_batch_jobs',
    help: 'Jobs sharing the forward pass a job ran in',
    buckets: [1, 2, 4, 8, 16, 32, 64],
    registers: [registry],
  });
  new Gauge({
    name: 'queue_jobs',
    help: 'Jobs in the prediction queue by state',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const counts = await context.queue.getJobCounts(...JOB_STATES);
      for (const state of JOB_STATES) this.set({ state }, counts[state] ?? 0);
    },
  });
  new Gauge({
    name: 'workers_live',
    help: 'Workers whose heartbeat is recent',
    registers: [registry],
    async collect() {
      this.set((await liveWorkers(context)).length);
    },
  });
  new Gauge({
    name: 'worker_cache_events',
    help: 'Compiled-ensemble cache hits and loads, per worker',
    labelNames: ['worker', 'event'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const worker of await liveWorkers(context)) {
        this.set({ worker: worker.id, event: 'hit' }, worker.cache.hits);
        this.set({ worker: worker.id, event: 'load' }, worker.cache.loads);
      }
    },
  });

  const onCompleted = async ({ jobId, returnvalue }: { jobId: string; returnvalue: unknown }) => {
    const parsed = predictionJobResultSchema.safeParse(typeof returnvalue === 'string' ? JSON.parse(returnvalue) : returnvalue);
    if (!parsed.success) return;
    const { computeMs, batchRows: rows, batchJobs, completedAt } = parsed.data;
    const job = await context.queue.getJob(jobId);
    const submittedAt = (job?.data as PredictionJobData | undefined)?.submittedAt ?? completedAt;
    computeTime.observe(computeMs / 1e3);
    queueTime.observe(Math.max(0, completedAt - submittedAt - computeMs) / 1e3);
    batchRows.observe(rows);
    jobsPerPass.observe(batchJobs);
  };
  const listener = (event: { jobId: string; returnvalue: unknown }) => void onCompleted(event).catch(() => undefined);
  context.queueEvents.on('completed', listener as never);
  app.addHook('onClose', async () => {
    context.queueEvents.off('completed', listener as never);
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unknown';
    requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    latency.observe({ method: request.method, route }, reply.elapsedTime / 1e3);
  });
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );
}
