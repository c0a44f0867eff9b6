/**
 * The worker's settings, from environment variables parsed once at start-up;
 * a bad value stops the process with every problem listed.
 */
import { availableParallelism } from 'node:os';
import { engineNames } from '@ensembles/core';
import { checkRedisConnectionSettings, integerSetting, parseSettings, sharedSettings } from '@ensembles/jobs';
import { z } from 'zod';

export const workerConfigSchema = z
  .object({
    ...sharedSettings,
    ENSEMBLE_ENGINE: z.enum(engineNames as [string, ...string[]]).default('onnx'),
    ENSEMBLE_BACKEND: z.string().default('auto'),
    ENSEMBLE_THREADS: integerSetting(availableParallelism(), 1),
    /**
     * Jobs taken from the queue at once; they meet in micro-batches, so this
     * also caps the jobs in one pass. 64 (not 16) measured lower latency under
     * load for small jobs and 4x the throughput for memory-bound passes
     * (`npm run bench:e2e`, scenarios tiny and wide-b1).
     */
    WORKER_CONCURRENCY: integerSetting(64, 1),
    BATCH_MAX_ROWS: integerSetting(256, 1),
    BATCH_MAX_WAIT_MS: integerSetting(0),
    /** Bytes of stacked weights kept compiled. */
    CACHE_BYTES: integerSetting(1 << 30, 1),
    /** How long a job stays locked to this worker without renewal: a dead worker's jobs are retaken after it. */
    WORKER_LOCK_MS: integerSetting(30_000, 100),
    /** How often this worker looks for jobs whose worker died (stalled jobs). */
    WORKER_STALLED_INTERVAL_MS: integerSetting(30_000, 100),
    /**
     * A forward pass running longer than this is hung: the process exits (its
     * engine cannot be interrupted), so that its jobs are retaken, as after a
     * crash, and a job that hangs every worker ends failed. 0: never.
     */
    PASS_TIMEOUT_MS: integerSetting(60_000, 0),
    /** Port of this worker's Prometheus `/metrics` (job timings, counted once, here). 0: not served. */
    METRICS_PORT: integerSetting(0, 0),
    METRICS_HOST: z.string().default('127.0.0.1'),
    /**
     * The queue shards this worker takes jobs from: `0,2`; empty (the default):
     * every shard. `WORKER_CONCURRENCY` is split evenly over them.
     */
    WORKER_SHARDS: z
      .string()
      .default('')
      .transform((value, ctx) => {
        const shards = value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        if (shards.some((shard) => !/^\d+$/.test(shard))) {
          ctx.addIssue({ code: 'custom', message: 'must be shard numbers, comma-separated (e.g. 0,2), or empty for every shard' });
          return z.NEVER;
        }
        return [...new Set(shards.map(Number))].sort((a, b) => a - b);
      }),
  })
  .superRefine((config, ctx) => {
    checkRedisConnectionSettings(config, ctx);
    const beyond = config.WORKER_SHARDS.filter((shard) => shard >= config.QUEUE_SHARDS);
    if (beyond.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['WORKER_SHARDS'],
        message: `shard ${beyond.join(', ')} does not exist: QUEUE_SHARDS is ${config.QUEUE_SHARDS} (shards 0 to ${config.QUEUE_SHARDS - 1})`,
      });
    }
  });
export type WorkerConfig = z.infer<typeof workerConfigSchema>;

export function parseWorkerConfig(env: NodeJS.ProcessEnv): WorkerConfig {
  return parseSettings(workerConfigSchema, env, 'worker');
}
