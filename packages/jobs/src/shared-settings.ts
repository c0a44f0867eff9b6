/**
 * The settings the API and the workers must agree on (where Redis is, the
 * key prefix), the ones they both have, and how both parse their
 * environment: once, at start-up, listing every bad variable.
 */
import { z } from 'zod';
import { MAX_QUEUE_SHARDS } from './queues.js';
import { keyLayout, type RedisConnectionSettings, redisConnectionSettings } from './redis-connection.js';
import { type RedisKeys, redisKeys } from './redis-keys.js';

/** An integer setting, from its environment string. */
export const integerSetting = (fallback: number, min = 0) => z.coerce.number().int().min(min).default(fallback);

export const sharedSettings = {
  /** Where Redis is: `REDIS_URL`, or a cluster's nodes, or Sentinels (see `redis-connection.ts`). */
  ...redisConnectionSettings,
  /** Prefix of the project's keys, and of BullMQ's (`{prefix}:bull`); the same for the API and every worker. */
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/)
    .default('ens'),
  /**
   * Shards of the prediction queue, each a BullMQ queue of its own (on a
   * cluster, each on a slot of its own, so that they spread over the nodes).
   * The same for the API and every worker.
   */
  QUEUE_SHARDS: z.coerce.number().int().min(1).max(MAX_QUEUE_SHARDS).default(1),
  /** How long job inputs and results stay in Redis. */
  RESULT_TTL_SECONDS: integerSetting(3600, 1),
  /**
   * The most completed jobs (and their results) kept, newest first, within the TTL: Redis' memory stays bounded at
   * any rate. Split evenly over the queue's shards (each keeps its share).
   */
  RESULT_KEEP_JOBS: integerSetting(10_000, 1),
  /**
   * Times a job is tried: the API gives each job this many attempts (a failure retrying can fix
   * tries again), and workers let a job outlive at most this many minus one workers that died
   * holding it (a job that kills every worker that takes it fails, instead of killing them forever).
   */
  JOB_ATTEMPTS: integerSetting(3, 1),
  /**
   * Inputs and result files up to this many bytes travel inside their job
   * (data and return value) instead of under keys of their own: fewer round
   * trips per job. They then stay with the job until it is removed
   * (`RESULT_KEEP_JOBS`), which bounds their memory. 0: never inline.
   */
  INLINE_TENSOR_BYTES: integerSetting(64 << 10, 0),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
};

/** Parses `env` with `schema`, or throws one error that lists every problem, for `what` (e.g. "worker"). */
export function parseSettings<Schema extends z.ZodType>(schema: Schema, env: NodeJS.ProcessEnv, what: string): z.infer<Schema> {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
  throw new Error(`invalid ${what} configuration:\n${problems.join('\n')}`);
}

/**
 * The system's keys for these settings: under `REDIS_PREFIX`, hash-tagged on a cluster, with `QUEUE_SHARDS` shards.
 *
 * @example
 * const keys = systemKeys(parseApiConfig(process.env));
 */
export function systemKeys(
  settings: RedisConnectionSettings & { readonly REDIS_PREFIX: string; readonly QUEUE_SHARDS: number },
): RedisKeys {
  return redisKeys(settings.REDIS_PREFIX, { layout: keyLayout(settings), shards: settings.QUEUE_SHARDS });
}
