/**
 * The API's settings, from environment variables parsed once at start-up; a
 * bad value stops the process with every problem listed.
 */
import { z } from 'zod';

const integer = (fallback: number, min = 0) => z.coerce.number().int().min(min).default(fallback);

export const apiConfigSchema = z.object({
  PORT: integer(3000, 1),
  HOST: z.string().default('127.0.0.1'),
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  /** Prefix of the project's keys, and of BullMQ's (`{prefix}:bull`); the workers must use the same. */
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/)
    .default('ens'),
  /** Largest JSON body (prediction requests). */
  MAX_BODY_BYTES: integer(16 << 20, 1),
  /** Largest uploaded file (weights, member files). */
  MAX_UPLOAD_BYTES: integer(1 << 30, 1),
  /** Longest `Prefer: wait=N` honoured, in seconds. */
  MAX_WAIT_SECONDS: integer(30, 0),
  /** How long job inputs and results stay in Redis. */
  RESULT_TTL_SECONDS: integer(3600, 1),
  /** Jobs waiting in the queue beyond which new submissions get 429 with `Retry-After`. */
  MAX_WAITING_JOBS: integer(100_000, 1),
  /** Retries of a job after a failure that retrying can fix. */
  JOB_ATTEMPTS: integer(3, 1),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
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
});
export type ApiConfig = z.infer<typeof apiConfigSchema>;

export function parseApiConfig(env: NodeJS.ProcessEnv): ApiConfig {
  const parsed = apiConfigSchema.safeParse(env);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
  throw new Error(`invalid API configuration:\n${problems.join('\n')}`);
}
