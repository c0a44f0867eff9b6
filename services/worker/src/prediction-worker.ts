/**
 * One worker: a BullMQ worker on the prediction queue, with its engine, its
 * cache of compiled ensembles and its micro-batcher. `close()` stops taking
 * jobs, lets the active ones finish, and releases everything.
 */
import { hostname } from 'node:os';
import { createEngine, type EngineName } from '@ensembles/core';
import { PREDICTION_QUEUE, type PredictionJobData, type PredictionJobResult, redisKeys } from '@ensembles/jobs';
import { EnsembleRegistry } from '@ensembles/registry';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { CompletionNotifier } from './completion-notifier.js';
import { CrashQuarantine } from './crash-quarantine.js';
import { EnsembleCache } from './ensemble-cache.js';
import { MicroBatcher } from './micro-batcher.js';
import { dropStoredInput, predictionProcessor } from './prediction-processor.js';
import { ResultRetention } from './result-retention.js';
import { VersionCollection } from './version-collection.js';
import type { WorkerConfig } from './worker-config.js';
import { WorkerHeartbeat } from './worker-heartbeat.js';
import { WorkerMetrics } from './worker-metrics.js';

export interface PredictionWorker {
  /** This worker as job results and `GET /v1/workers` name it (`host:pid`). */
  readonly id: string;
  readonly worker: Worker;
  readonly cache: EnsembleCache;
  /** The timings of the jobs it ran (served on `METRICS_PORT` when set). */
  readonly metrics: WorkerMetrics;
  close(): Promise<void>;
}

export interface PredictionWorkerOptions {
  /**
   * A forward pass outlived `PASS_TIMEOUT_MS`. By default the process says so
   * and exits (code 1): an engine cannot be interrupted, so the way out is
   * a restart, after which the jobs it held are retaken like a crashed
   * worker's, and a job that hangs every worker ends failed.
   */
  readonly onPassHung?: (pass: { readonly jobs: number; readonly rows: number; readonly ms: number }) => void;
}

function exitOnHungPass(pass: { readonly jobs: number; readonly rows: number; readonly ms: number }): void {
  process.stderr.write(`a forward pass (${pass.jobs} jobs, ${pass.rows} rows) has run longer than ${pass.ms} ms: exiting\n`);
  process.exit(1);
}

export function startPredictionWorker(config: WorkerConfig, options: PredictionWorkerOptions = {}): PredictionWorker {
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
  const keys = redisKeys(config.REDIS_PREFIX);
  const engine = createEngine(config.ENSEMBLE_ENGINE as EngineName, { threads: config.ENSEMBLE_THREADS, backend: config.ENSEMBLE_BACKEND });
  const registry = new EnsembleRegistry(redis, { keys });
  const cache = new EnsembleCache(registry, engine, config.CACHE_BYTES, () => heartbeat.refresh());
  const batcher = new MicroBatcher({
    maxRows: config.BATCH_MAX_ROWS,
    maxWaitMs: config.BATCH_MAX_WAIT_MS,
    passTimeoutMs: config.PASS_TIMEOUT_MS,
    onPassHung: options.onPassHung ?? exitOnHungPass,
  });
  // A job on its last chance after workers died holding it runs alone: a job that crashes workers takes no other down with it.
  const quarantine = new CrashQuarantine(config.JOB_ATTEMPTS - 1);
  const worker: Worker = new Worker(
    PREDICTION_QUEUE,
    quarantine.wrap(
      predictionProcessor({
        redis,
        keys,
        cache,
        batcher,
        resultTtlSeconds: config.RESULT_TTL_SECONDS,
        inlineTensorBytes: config.INLINE_TENSOR_BYTES,
      }),
      () => worker,
    ),
    {
      connection: redis,
      prefix: `${config.REDIS_PREFIX}:bull`,
      concurrency: config.WORKER_CONCURRENCY,
      lockDuration: config.WORKER_LOCK_MS,
      stalledInterval: config.WORKER_STALLED_INTERVAL_MS,
      // A job whose worker died is taken again, up to its attempts in all: one that kills every worker it meets ends failed.
      maxStalledCount: config.JOB_ATTEMPTS - 1,
      // Recorded on each job it takes (`processedBy`): which worker holds an active job.
      name: `${hostname()}:${process.pid}`,
    },
  );
  // Each finished job is counted here, once, and its API process (if it waits) is told.
  const metrics = new WorkerMetrics();
  const notifier = new CompletionNotifier(redis, keys);
  worker.on('completed', (job, result: PredictionJobResult) => {
    metrics.completed(job.data as PredictionJobData, result);
    notifier.completed(job, result);
    dropStoredInput(redis, keys, job, result);
  });
  worker.on('failed', (job) => {
    // A failure that will be retried is not the end of the job.
    if (!job?.finishedOn) return;
    metrics.failed(job.data as PredictionJobData | undefined);
    notifier.failed(job);
  });
  const metricsServer = config.METRICS_PORT > 0 ? metrics.serve(config.METRICS_PORT, config.METRICS_HOST) : undefined;
  metricsServer?.catch((error: Error) =>
    worker.emit('error', new Error(`cannot serve metrics on ${config.METRICS_HOST}:${config.METRICS_PORT}: ${error.message}`)),
  );
  const heartbeat = new WorkerHeartbeat(redis, keys, () => ({
    engine: config.ENSEMBLE_ENGINE,
    backend: cache.backend ?? config.ENSEMBLE_BACKEND,
    threads: config.ENSEMBLE_THREADS,
    concurrency: config.WORKER_CONCURRENCY,
    versions: cache.stats().versions,
    cache: { hits: cache.stats().hits, loads: cache.stats().loads },
  }));
  heartbeat.start();
  const retention = new ResultRetention(redis, keys, { keep: config.RESULT_KEEP_JOBS, ttlSeconds: config.RESULT_TTL_SECONDS });
  retention.start();
  const collection = new VersionCollection(registry);
  collection.start();
  return {
    worker,
    cache,
    metrics,
    id: heartbeat.id,
    async close() {
      await worker.close();
      metricsServer?.then((server) => server.close()).catch(() => undefined);
      retention.stop();
      collection.stop();
      await heartbeat.stop().catch(() => undefined);
      await cache.dispose();
      await engine.dispose();
      redis.disconnect();
    },
  };
}
