/**
 * The deployed processes on a real Redis Cluster: three masters (`redis-server`
 * in cluster mode, joined by `redis-cli --cluster create`), an API process and
 * two workers (their built `main.js`) with `REDIS_CLUSTER_NODES` and
 * `QUEUE_SHARDS=3`. Jobs (inputs and results inline and stored) complete on
 * every shard, each shard on its own master, the registry and every other key
 * on one slot per use (any cross-slot command would fail), and waiting,
 * events, idempotent retries, cancelling, the rate limit, metrics, the
 * dashboard and readiness work across the shards.
 */
import { jobIdShard, keySlot, redisKeys } from '@ensembles/jobs';
import { type PrivateCluster, startPrivateCluster } from '@ensembles/redis-testing';
import { Queue } from 'bullmq';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServiceStackOn, startServiceStackOn } from './testing/service-stack.js';

const SHARDS = 3;
const keys = redisKeys('chaos', { layout: 'tagged', shards: SHARDS });
let cluster: PrivateCluster;
let stack: ServiceStackOn;
let redis: Cluster;

beforeAll(async () => {
  cluster = await startPrivateCluster({ masters: 3, args: ['--maxmemory-policy', 'noeviction'] });
  // Results over 16 bytes are stored under keys of their own, and so are inputs of more than one row.
  stack = await startServiceStackOn(
    { REDIS_CLUSTER_NODES: cluster.nodesSetting },
    // A rate limit far above the test's: its script (two windows of a tenant) runs on every request.
    { workers: 2, env: { QUEUE_SHARDS: String(SHARDS), INLINE_TENSOR_BYTES: '16', RATE_LIMIT_PER_MINUTE: '1000000' } },
  );
  redis = new Cluster(cluster.nodes.map(({ port }) => ({ host: '127.0.0.1', port })));
});

afterAll(async () => {
  redis?.disconnect();
  await stack?.stop();
  await cluster?.stop();
});

async function predict(rows: number, headers: Record<string, string> = {}) {
  const response = await fetch(`${stack.base}/v1/ensembles/tiny/predictions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ input: { shape: [rows, 3], data: Array.from({ length: rows * 3 }, (_, i) => i / 10) } }),
    signal: AbortSignal.timeout(30_000),
  });
  return { status: response.status, body: (await response.json()) as { id: string; status: string; result?: unknown } };
}

/** The cluster node (its port) that holds `key`'s slot. */
function nodeOf(key: string): number {
  const owner = redis.slots[keySlot(key)]?.[0];
  return Number(owner?.split(':')[1]);
}

describe('on a Redis Cluster with three queue shards', () => {
  it('is ready, and puts each shard on a master of its own', async () => {
    const ready = await fetch(`${stack.base}/v2/health/ready`);
    expect(await ready.json()).toEqual({ ready: true });
    await redis.cluster('SLOTS');
    const shardNodes = keys.shards.map((shard) => nodeOf(`${shard.queue}:wait`));
    expect(new Set(shardNodes).size).toBe(SHARDS);
    // Redis Cluster hashes each shard's keys where the layout says.
    for (const shard of keys.shards) {
      const slot = Number(await cluster.cli(nodeOf(shard.queue), 'cluster', 'keyslot', `${shard.queue}:wait`));
      expect(slot).toBe(keySlot(`${shard.queue}:wait`));
    }
  });

  it('completes jobs on every shard, with keys on every node', async () => {
    const ids: string[] = [];
    const waited: string[] = [];
    const waitMs: number[] = [];
    // 8 clients, 300 jobs: one row (input inline, result stored) and two rows (both stored); every fourth waits.
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < 300) {
          const i = next++;
          const started = performance.now();
          const answer = await predict(1 + (i % 2), i % 4 === 0 ? { prefer: 'wait=10' } : {});
          expect([200, 202]).toContain(answer.status);
          ids.push(answer.body.id);
          if (answer.status === 200) {
            waited.push(answer.body.status);
            waitMs.push(performance.now() - started);
          }
        }
      }),
    );
    expect(waited.length).toBe(75);
    expect(waited.every((status) => status === 'completed')).toBe(true);
    // Answered on the workers' notices (sharded Pub/Sub), not by the API's once-a-second reads.
    const medianWaitMs = [...waitMs].sort((a, b) => a - b)[Math.floor(waitMs.length / 2)] as number;
    expect(medianWaitMs).toBeLessThan(500);
    const statuses = await stack.settle(ids, 30_000);
    expect([...statuses.values()].filter((status) => status !== 'completed')).toEqual([]);

    const perShard = keys.shards.map((shard) => ids.filter((id) => jobIdShard(id, SHARDS) === shard.index).length);
    const completed = await Promise.all(keys.shards.map((shard) => redis.zcard(`${shard.queue}:completed`)));
    const results = await Promise.all(keys.shards.map((shard) => redis.zcard(shard.results)));
    for (let shard = 0; shard < SHARDS; shard++) {
      expect(perShard[shard]).toBeGreaterThan(50);
      expect(completed[shard]).toBe(perShard[shard]);
      expect(results[shard]).toBe(perShard[shard]);
    }
    // Stored inputs went once their jobs completed; stored results stay on their job's shard.
    const job = ids.find((id) => jobIdShard(id, SHARDS) === 1) as string;
    expect(await redis.exists(keys.shards[1]?.jobResult(job) as string)).toBe(1);
    expect(await redis.exists(keys.shards[1]?.jobInput(job) as string)).toBe(0);

    const keysPerNode = await Promise.all(cluster.nodes.map(async ({ port }) => Number(await cluster.cli(port, 'dbsize'))));
    expect(keysPerNode.every((count) => count > 100)).toBe(true);
    process.stdout.write(
      `cluster: jobs per shard ${perShard.join(' / ')}; keys per node ${keysPerNode.join(' / ')}; waits answered in ${Math.round(medianWaitMs)} ms (median); ` +
        `shard nodes ${keys.shards.map((shard) => nodeOf(shard.queue)).join(', ')}, registry on ${nodeOf(keys.workers)}\n`,
    );
  });

  it('shows, streams, retries idempotently and cancels jobs of any shard', async () => {
    const first = await predict(1, { 'idempotency-key': 'cluster-key' });
    const again = await predict(1, { 'idempotency-key': 'cluster-key', prefer: 'wait=10' });
    expect(again.body.id).toBe(first.body.id);
    expect(again.body.status).toBe('completed');
    const shown = await fetch(`${stack.base}/v1/jobs/${first.body.id}`);
    expect(((await shown.json()) as { status: string }).status).toBe('completed');
    const events = await (await fetch(`${stack.base}/v1/jobs/${first.body.id}/events`)).text();
    expect(events).toContain('"status":"completed"');

    const metrics = await (await fetch(`${stack.base}/metrics`)).text();
    for (let shard = 0; shard < SHARDS; shard++)
      expect(metrics).toMatch(new RegExp(`queue_shard_jobs\\{shard="${shard}",state="completed"\\} [1-9]`));
    const dashboard = (await (await fetch(`${stack.base}/admin/queues/api/queues`)).json()) as { queues: { name: string }[] };
    expect(dashboard.queues.map((queue) => queue.name).sort()).toEqual(['predictions', 'predictions-1', 'predictions-2']);
    const workers = (await (await fetch(`${stack.base}/v1/workers`)).json()) as { workers: unknown[] };
    expect(workers.workers).toHaveLength(2);
  });

  it('cancels a waiting job on its shard', async () => {
    // Every shard paused, so that the job waits; cancelled; resumed.
    const queues = keys.shards.map((shard) => new Queue(shard.queueName, { connection: redis, prefix: shard.queuePrefix }));
    for (const queue of queues) await queue.pause();
    try {
      const queued = await predict(2);
      expect(queued.status).toBe(202);
      const cancelled = await fetch(`${stack.base}/v1/jobs/${queued.body.id}`, { method: 'DELETE' });
      expect(cancelled.status).toBe(204);
      expect((await fetch(`${stack.base}/v1/jobs/${queued.body.id}`)).status).toBe(404);
      const shard = keys.shards[jobIdShard(queued.body.id, SHARDS) as number];
      expect(await redis.exists(shard?.jobInput(queued.body.id) as string)).toBe(0);
    } finally {
      for (const queue of queues) await queue.resume();
      await Promise.all(queues.map((queue) => queue.close()));
    }
  });
});
