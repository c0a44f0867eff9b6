/**
 * Rate limits per tenant (all of its API keys together), shared by every API
 * process through Redis: a sliding window of one minute, estimated from this
 * minute's count and the previous minute's, weighted by how much of the
 * window that minute still covers. One Lua script checks and counts, so
 * concurrent requests to several processes never overshoot; a refused
 * request is not counted, so a client that keeps retrying is not locked out
 * for longer. Past the limit: 429 `RATE_LIMITED` with `Retry-After`.
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from './app-context.js';
import { isOpenRoute } from './authentication.js';
import { HttpError } from './http-errors.js';

export const RATE_WINDOW_MS = 60_000;

// KEYS: this window's counter, the previous window's. ARGV: limit, ms elapsed in this window, window ms.
// Returns [allowed (1/0), this window's count, the previous window's count].
const CHECK_AND_COUNT = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local previous = tonumber(redis.call('GET', KEYS[2]) or '0')
local limit = tonumber(ARGV[1])
local elapsed = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
if previous * (window - elapsed) / window + current + 1 > limit then
  return {0, current, previous}
end
current = redis.call('INCR', KEYS[1])
if current == 1 then redis.call('PEXPIRE', KEYS[1], window * 2) end
return {1, current, previous}
`;

export interface RateDecision {
  readonly allowed: boolean;
  /** Milliseconds until a request would be allowed again (0 when allowed). */
  readonly retryAfterMs: number;
}

/** Checks one request of `tenant` against `limit` per minute, and counts it if allowed. */
export async function checkRate(context: AppContext, tenant: string, limit: number, now = Date.now()): Promise<RateDecision> {
  const window = Math.floor(now / RATE_WINDOW_MS);
  const elapsed = now - window * RATE_WINDOW_MS;
  const keys = [context.keys.tenantRequests(tenant, window), context.keys.tenantRequests(tenant, window - 1)];
  const [allowed, current, previous] = (await context.redis.eval(CHECK_AND_COUNT, 2, ...keys, limit, elapsed, RATE_WINDOW_MS)) as [
    number,
    number,
    number,
  ];
  if (allowed === 1) return { allowed: true, retryAfterMs: 0 };
  return { allowed: false, retryAfterMs: retryAfterMs(current, previous, limit, elapsed) };
}

/**
 * When the estimate drops below the limit again: within this window, as the
 * previous window's weight fades; else in the next one, as this window's does.
 */
function retryAfterMs(current: number, previous: number, limit: number, elapsed: number): number {
  const room = limit - 1 - current;
  if (room >= 0 && previous > 0) return Math.max(0, RATE_WINDOW_MS * (1 - room / previous) - elapsed);
  return RATE_WINDOW_MS - elapsed + Math.max(0, RATE_WINDOW_MS * (1 - (limit - 1) / Math.max(current, 1)));
}

/** Limits every request that acts as a tenant (not liveness, readiness, docs, metrics or the dashboard). */
export function installRateLimit(app: FastifyInstance, context: AppContext): void {
  const limit = context.config.RATE_LIMIT_PER_MINUTE;
  if (limit === 0) return;
  app.addHook('onRequest', async (request) => {
    if (isOpenRoute(request)) return;
    const decision = await checkRate(context, request.tenant, limit);
    if (decision.allowed) return;
    const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
    throw new HttpError(
      429,
      'RATE_LIMITED',
      `tenant ${request.tenant} has made ${limit} requests in the last minute, its limit (RATE_LIMIT_PER_MINUTE); retry in ${seconds} s`,
      { 'retry-after': String(seconds) },
    );
  });
}
