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

/** One Redis server the system uses: the only one, or a node of a cluster (a connection of its own: INFO is per server). */
export interface RedisNode {
  /** `host:port`. */
  readonly name: string;
  readonly client: Redis;
}

/** What one server has done so far: commands, CPU, network bytes (replication not counted), memory. */
export interface NodeSample {
  readonly calls: number;
  readonly cpuSeconds: number;
  readonly netInBytes: number;
  readonly netOutBytes: number;
  readonly usedMemory: number;
}

/** Each node's figures now. */
export async function sampleNodes(nodes: readonly RedisNode[]): Promise<NodeSample[]> {
  return Promise.all(
    nodes.map(async ({ client }) => {
      const stats = await client.info('stats');
      const field = (name: string) => Number(stats.match(new RegExp(`^${name}:(\\d+)`, 'm'))?.[1] ?? 0);
      return {
        calls: await redisCommandCalls(client),
        cpuSeconds: await redisCpuSeconds(client),
        netInBytes: field('total_net_input_bytes') - field('total_net_repl_input_bytes'),
        netOutBytes: field('total_net_output_bytes') - field('total_net_repl_output_bytes'),
        usedMemory: await usedMemory(client),
      };
    }),
  );
}
