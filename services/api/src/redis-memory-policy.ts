/**
 * Whether Redis may evict keys. Queued jobs, their inputs and their results
 * live in Redis; an evicting `maxmemory-policy` (`allkeys-lru`, `volatile-ttl`,
 * ...) drops them silently when memory runs short, so the API reports itself
 * not ready until Redis runs with `noeviction` (then a full Redis refuses
 * writes, and submissions get 503). The policy is read with `CONFIG GET`,
 * or from `INFO memory` where CONFIG is not allowed (managed Redis, ACLs);
 * on a cluster, from every master.
 */
import { primaries, type RedisClient } from '@ensembles/jobs';
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

/** Why Redis is unfit to hold the queue (it, or a master of the cluster, may evict keys), or undefined when it is fit. */
export async function evictionProblem(redis: RedisClient): Promise<string | undefined> {
  const nodes = primaries(redis);
  const policies = await Promise.all(nodes.map((node) => maxmemoryPolicy(node)));
  const evicting = policies.findIndex((policy) => policy !== 'noeviction');
  if (evicting === -1) return undefined;
  const where = redis.isCluster ? `the cluster node ${nodes[evicting]?.options.host}:${nodes[evicting]?.options.port}` : 'Redis';
  return `${where} may evict keys (maxmemory-policy ${policies[evicting]}): queued jobs, inputs and results could vanish; set maxmemory-policy noeviction`;
}
