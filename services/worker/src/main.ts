#!/usr/bin/env node
/** The worker process: configuration from the environment, structured logs, graceful shutdown. */
import { describeRedisTarget } from '@ensembles/jobs';
import { pino } from 'pino';
import { startPredictionWorker } from './prediction-worker.js';
import { parseWorkerConfig } from './worker-config.js';

const config = parseWorkerConfig(process.env);
const log = pino({ level: config.LOG_LEVEL, base: { service: 'worker' } });
const { workers, close } = startPredictionWorker(config, {
  onPassHung: (pass) => {
    log.fatal(pass, 'a forward pass is hung: exiting, so that this worker is restarted and its jobs are retaken');
    process.exit(1);
  },
});

for (const worker of workers) {
  worker.on('completed', (job, result) =>
    log.debug({ job: job.id, computeMs: result.computeMs, batchJobs: result.batchJobs }, 'job completed'),
  );
  worker.on('failed', (job, error) => log.warn({ job: job?.id, reason: error.message }, 'job failed'));
  worker.on('error', (error) => log.error({ err: error }, 'worker error'));
}
log.info(
  {
    engine: config.ENSEMBLE_ENGINE,
    threads: config.ENSEMBLE_THREADS,
    concurrency: config.WORKER_CONCURRENCY,
    redis: describeRedisTarget(config),
    shards: workers.map((worker) => worker.name),
  },
  'worker started',
);

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping: finishing active jobs, taking no new ones');
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}
