/**
 * Whether Redis may evict keys. Queued jobs, their inputs and their results
 * live in Redis; an evicting `maxmemory-policy` (`allkeys-lru`, `volatile-ttl`,
 * ...) drops them silently when memory runs short, so the API reports itself
 * not ready until Redis runs with `noeviction` (then a full Redis refuses
 * writes, and submissions get 503). The policy is read with `CONFIG GET`,
 * or from `INFO memory` where CONFIG is not allowed (managed Redis, ACLs).
 */
import type { Redis } from 'ioredis';

/** The `maxmemory-policy` of the Redis behind `redis`. */
export async function maxmemoryPolicy(redis: Redis): Promise<string> {
  try {
    const [, policy] = (await redis.config('GET', 'maxmemory-policy')) as string[];
    if (policy) return policy;
  } catch {
    // CONFIG renamed, disabled or denied: INFO says the same.
  }
  const info = await redis.info('memory');
  const policy = /^maxmemory_policy:(\S+)/m.exec(info)?.[1];
  if (!policy) throw new Error('Redis reported no maxmemory policy (neither CONFIG GET maxmemory-policy nor INFO memory)');
  return policy;
}

/** Why Redis is unfit to hold the queue (it may evict keys), or undefined when it is fit. */
export async function evictionProblem(redis: Redis): Promise<string | undefined> {
  const policy = await maxmemoryPolicy(redis);
  if (policy === 'noeviction') return undefined;
  return `Redis may evict keys (maxmemory-policy ${policy}): queued jobs, inputs and results could vanish; set maxmemory-policy noeviction`;
}
