/**
 * One worker: a BullMQ worker on each shard of the prediction queue it takes
 * jobs from (`WORKER_SHARDS`, every shard by default), sharing one engine,
 * one cache of compiled ensembles and one micro-batcher, so that jobs of one
 * version meet in a pass whatever their shard. `close()` stops taking jobs,
 * lets the active ones finish, and releases everything.
 */
import { hostname } from 'node:os';
import { createEngine, type EngineName } from '@ensembles/core';
import { connectRedis, keptJobsPerShard, type PredictionJobData, type PredictionJobResult, systemKeys } from '@ensembles/jobs';
import { EnsembleRegistry } from '@ensembles/registry';
import { Worker } from 'bullmq';
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
  /** The BullMQ worker of the first shard it takes jobs from (shard 0 by default). */
  readonly worker: Worker;
  /** One BullMQ worker per shard it takes jobs from, in shard order. */
  readonly workers: readonly Worker[];
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
  const redis = connectRedis(config, { maxRetriesPerRequest: null });
  const keys = systemKeys(config);
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
  const shards = config.WORKER_SHARDS.length > 0 ? config.WORKER_SHARDS.map((i) => keys.shards[i]) : keys.shards;
  // The jobs held at once, split over the shards: the same in all whatever their number.
  const concurrency = Math.max(1, Math.ceil(config.WORKER_CONCURRENCY / shards.length));
  // Each finished job is counted here, once, and its API process (if it waits) is told.
  const metrics = new WorkerMetrics();
  const notifier = new CompletionNotifier(redis, keys);
  const workers: Worker[] = [];
  const retentions: ResultRetention[] = [];
  for (const shard of shards) {
    if (!shard) continue;
    const worker: Worker = new Worker(
      shard.queueName,
      quarantine.wrap(
        predictionProcessor({
          redis,
          keys: shard,
          cache,
          batcher,
          resultTtlSeconds: config.RESULT_TTL_SECONDS,
          inlineTensorBytes: config.INLINE_TENSOR_BYTES,
        }),
        () => worker,
        () => workers.filter((other) => other !== worker),
      ),
      {
        connection: redis,
        prefix: shard.queuePrefix,
        concurrency,
        lockDuration: config.WORKER_LOCK_MS,
        stalledInterval: config.WORKER_STALLED_INTERVAL_MS,
        // A job whose worker died is taken again, up to its attempts in all: one that kills every worker it meets ends failed.
        maxStalledCount: config.JOB_ATTEMPTS - 1,
        // Recorded on each job it takes (`processedBy`): which worker holds an active job.
        name: `${hostname()}:${process.pid}`,
      },
    );
    worker.on('completed', (job, result: PredictionJobResult) => {
      metrics.completed(job.data as PredictionJobData, result);
      notifier.completed(job, result);
      dropStoredInput(redis, shard, job, result);
    });
    worker.on('failed', (job) => {
      // A failure that will be retried is not the end of the job.
      if (!job?.finishedOn) return;
      metrics.failed(job.data as PredictionJobData | undefined);
      notifier.failed(job);
    });
    workers.push(worker);
    retentions.push(new ResultRetention(redis, shard, { keep: keptJobsPerShard(config), ttlSeconds: config.RESULT_TTL_SECONDS }));
  }
  const first = workers[0] as Worker;
  const metricsServer = config.METRICS_PORT > 0 ? metrics.serve(config.METRICS_PORT, config.METRICS_HOST) : undefined;
  metricsServer?.catch((error: Error) =>
    first.emit('error', new Error(`cannot serve metrics on ${config.METRICS_HOST}:${config.METRICS_PORT}: ${error.message}`)),
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
  for (const retention of retentions) retention.start();
  const collection = new VersionCollection(registry);
  collection.start();
  return {
    worker: first,
    workers,
    cache,
    metrics,
    id: heartbeat.id,
    async close() {
      await Promise.all(workers.map((worker) => worker.close()));
      metricsServer?.then((server) => server.close()).catch(() => undefined);
      for (const retention of retentions) retention.stop();
      collection.stop();
      await heartbeat.stop().catch(() => undefined);
      await cache.dispose();
      await engine.dispose();
      redis.disconnect();
    },
  };
}
