/**
 * The API's settings, from environment variables parsed once at start-up; a
 * bad value stops the process with every problem listed.
 */
import { checkRedisConnectionSettings, integerSetting, parseSettings, sharedSettings } from '@ensembles/jobs';
import { z } from 'zod';

export const apiConfigSchema = z
  .object({
    PORT: integerSetting(3000, 1),
    HOST: z.string().default('127.0.0.1'),
    ...sharedSettings,
    /** Largest request body: prediction requests, JSON or safetensors. */
    MAX_BODY_BYTES: integerSetting(16 << 20, 1),
    /** Largest uploaded file (weights, member files). */
    MAX_UPLOAD_BYTES: integerSetting(1 << 30, 1),
    /** Longest `Prefer: wait=N` honoured, in seconds. */
    MAX_WAIT_SECONDS: integerSetting(30, 0),
    /** Jobs waiting in the queue (all its shards) beyond which new submissions get 429 with `Retry-After`. */
    MAX_WAITING_JOBS: integerSetting(100_000, 1),
    /**
     * Which queue shard a new job goes to (with `QUEUE_SHARDS` above 1): `spread`, the shard with the fewest
     * waiting jobs; `version`, its ensemble version's home shard unless that one is far busier (see `waiting-jobs.ts`).
     */
    QUEUE_PLACEMENT: z.enum(['spread', 'version']).default('spread'),
    /**
     * Replicas that must hold a submission's writes (Redis `WAIT`) before it is answered 202, so that a failover
     * cannot lose an acknowledged job. 0: answer at once (replication is asynchronous).
     */
    REDIS_WAIT_REPLICAS: integerSetting(0, 0),
    /** How long a submission waits for those replicas before it is answered 503 `REDIS_NOT_REPLICATED`. */
    REDIS_WAIT_TIMEOUT_MS: integerSetting(1000, 1),
    /**
     * Requests a tenant (all of its API keys together) may make per minute,
     * counted in Redis across every API process; past it, 429 with
     * `Retry-After`. 0: no limit.
     */
    RATE_LIMIT_PER_MINUTE: integerSetting(0, 0),
    /** The key that opens the queue dashboard (`/admin/queues`) when authentication is on. */
    ADMIN_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
    /**
     * API keys, each bound to a tenant: `tenant:key,tenant:key`. Empty (the
     * embedded default): authentication is off and every request is the tenant
     * `default`.
     */
    API_KEYS: z
      .string()
      .default('')
      .transform((value, ctx) => {
        const keys = new Map<string, string>();
        for (const entry of value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)) {
          const [tenant, key, ...rest] = entry.split(':');
          if (!tenant || !key || rest.length > 0 || !/^[A-Za-z0-9._-]{1,64}$/.test(tenant) || key.length < 16) {
            ctx.addIssue({
              code: 'custom',
              message: 'each entry must be tenant:key, the tenant [A-Za-z0-9._-]{1,64} and the key at least 16 characters',
            });
            return z.NEVER;
          }
          keys.set(key, tenant);
        }
        return keys;
      }),
  })
  .superRefine(checkRedisConnectionSettings);
export type ApiConfig = z.infer<typeof apiConfigSchema>;

export function parseApiConfig(env: NodeJS.ProcessEnv): ApiConfig {
  return parseSettings(apiConfigSchema, env, 'API');
}
