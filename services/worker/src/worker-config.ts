/**
 * The worker's settings, from environment variables parsed once at start-up;
 * a bad value stops the process with every problem listed.
 */
import { availableParallelism } from 'node:os';
import { engineNames } from '@ensembles/core';
import { z } from 'zod';

const integer = (fallback: number, min = 0) => z.coerce.number().int().min(min).default(fallback);

export const workerConfigSchema = z.object({
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  /** Prefix of the project's keys, and of BullMQ's (`{prefix}:bull`). */
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/)
    .default('ens'),
  ENSEMBLE_ENGINE: z.enum(engineNames as [string, ...string[]]).default('onnx'),
  ENSEMBLE_BACKEND: z.string().default('auto'),
  ENSEMBLE_THREADS: integer(availableParallelism(), 1),
  /** Jobs taken from the queue at once; they meet in micro-batches. */
  WORKER_CONCURRENCY: integer(16, 1),
  BATCH_MAX_ROWS: integer(256, 1),
  BATCH_MAX_WAIT_MS: integer(0),
  /** Bytes of stacked weights kept compiled. */
  CACHE_BYTES: integer(1 << 30, 1),
  RESULT_TTL_SECONDS: integer(3600, 1),
  /** How long a job stays locked to this worker without renewal: a dead worker's jobs are retaken after it. */
  WORKER_LOCK_MS: integer(30_000, 100),
  /** How often this worker looks for jobs whose worker died (stalled jobs). */
  WORKER_STALLED_INTERVAL_MS: integer(30_000, 100),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});
export type WorkerConfig = z.infer<typeof workerConfigSchema>;

export function parseWorkerConfig(env: NodeJS.ProcessEnv): WorkerConfig {
  const parsed = workerConfigSchema.safeParse(env);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
  throw new Error(`invalid worker configuration:\n${problems.join('\n')}`);
}
