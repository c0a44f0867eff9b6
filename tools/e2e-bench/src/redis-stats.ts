/** What Redis says of itself, for the bench: memory, commands run, CPU used. */
import type { Redis } from 'ioredis';

/** Bytes Redis holds (`used_memory`). */
export async function usedMemory(redis: Redis): Promise<number> {
  return Number((await redis.info('memory')).match(/^used_memory:(\d+)/m)?.[1] ?? Number.NaN);
}

/** Commands Redis has run since it started (scripts count once, their inner calls too). */
export async function redisCommandCalls(redis: Redis): Promise<number> {
  const info = await redis.info('commandstats');
  let calls = 0;
  for (const match of info.matchAll(/^cmdstat_[^:]+:calls=(\d+)/gm)) calls += Number(match[1]);
  return calls;
}

/** CPU seconds Redis has used (user + system). */
export async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string) => Number(info.match(new RegExp(`^${name}:([\\d.]+)`, 'm'))?.[1] ?? 0);
  return field('used_cpu_user') + field('used_cpu_sys');
}
