/**
 * One worker: a BullMQ worker on the prediction queue, with its engine, its
 * cache of compiled ensembles and its micro-batcher. `close()` stops taking
 * jobs, lets the active ones finish, and releases everything.
 */
import { hostname } from 'node:os';
import { createEngine, type EngineName } from '@ensembles/core';
import { PREDICTION_QUEUE, redisKeys } from '@ensembles/jobs';
import { EnsembleRegistry } from '@ensembles/registry';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { CrashQuarantine } from './crash-quarantine.js';
import { EnsembleCache } from './ensemble-cache.js';
import { MicroBatcher } from './micro-batcher.js';
import { predictionProcessor } from './prediction-processor.js';
import { ResultRetention } from './result-retention.js';
import type { WorkerConfig } from './worker-config.js';
import { WorkerHeartbeat } from './worker-heartbeat.js';

export interface PredictionWorker {
  /** This worker as job results and `GET /v1/workers` name it (`host:pid`). */
  readonly id: string;
  readonly worker: Worker;
  readonly cache: EnsembleCache;
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
  const cache = new EnsembleCache(new EnsembleRegistry(redis, { keys }), engine, config.CACHE_BYTES, () => heartbeat.refresh());
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
    quarantine.wrap(predictionProcessor({ redis, keys, cache, batcher, resultTtlSeconds: config.RESULT_TTL_SECONDS }), () => worker),
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
  return {
    worker,
    cache,
    id: heartbeat.id,
    async close() {
      await worker.close();
      retention.stop();
      await heartbeat.stop().catch(() => undefined);
      await cache.dispose();
      await engine.dispose();
      redis.disconnect();
    },
  };
}
