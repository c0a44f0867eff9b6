/**
 * The registry on a real Redis Cluster (three masters): with the hash-tagged
 * key layout every script and transaction stays on one slot, so registering,
 * resolving, deleting and collecting work there as on one Redis, and the
 * collection finds the jobs that need a version in any shard of the queue.
 */
import { float32Tensor, parseManifest, randomMembers, stackFloat32Members, writeSafetensors } from '@ensembles/core';
import { keySlot, redisKeys } from '@ensembles/jobs';
import { type PrivateCluster, startPrivateCluster } from '@ensembles/redis-testing';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnsembleRegistry } from './ensemble-registry.js';

let cluster: PrivateCluster;
let redis: Cluster;

beforeAll(async () => {
  cluster = await startPrivateCluster();
  redis = new Cluster(cluster.nodes.map(({ port }) => ({ host: '127.0.0.1', port })));
});

afterAll(async () => {
  redis?.disconnect();
  await cluster?.stop();
});

function stacked(name: string, seed: number) {
  const manifest = { name, members: 2, input: { shape: [4] }, layers: [{ op: 'linear', name: 'fc', in: 4, out: 3 }] };
  const architecture = parseManifest(manifest);
  const parameters = stackFloat32Members(architecture, randomMembers(architecture, seed)).parameters;
  const tensors = [...parameters].map(([parameter, data]) =>
    float32Tensor(parameter, [2, ...(architecture.parameterShapes.get(parameter) ?? [])], data),
  );
  return { manifest, weights: writeSafetensors(tensors) };
}

describe('EnsembleRegistry on a Redis Cluster', () => {
  it('registers, resolves, deletes and collects with every key of a call on one slot', async () => {
    const keys = redisKeys('reg', { layout: 'tagged', shards: 3 });
    // Chunks of 20 bytes: a version spans several keys, all on the registry's slot.
    const registry = new EnsembleRegistry(redis, { keys, chunkBytes: 20 });
    const a = stacked('alpha', 1);
    const first = await registry.register('acme', a.manifest, a.weights);
    const second = await registry.register('acme', stacked('alpha', 2).manifest, stacked('alpha', 2).weights);
    const beta = await registry.register('acme', stacked('beta', 3).manifest, stacked('beta', 3).weights);
    expect((await registry.resolve('acme', 'alpha')).version).toBe(second.version);
    expect((await registry.resolve('acme', `alpha@${first.version.slice(0, 12)}`)).version).toBe(first.version);
    expect((await registry.list('acme')).map((info) => info.name)).toEqual(['alpha', 'beta']);
    expect((await registry.versions('acme', 'alpha')).map((info) => info.version)).toEqual([second.version, first.version]);
    expect(Buffer.from(await registry.loadWeights(first.version)).equals(a.weights)).toBe(true);

    // A job in shard 2 still needs `first`; nothing needs `second` or `beta`'s version.
    const shard = keys.shards[2];
    if (!shard) throw new Error('no shard 2');
    await redis.lpush(`${shard.queue}:wait`, 'job-1');
    await redis.hset(`${shard.queue}:job-1`, 'data', JSON.stringify({ tenant: 'acme', ensemble: 'alpha', version: first.version }));
    expect(await registry.delete('acme', 'alpha')).toBe(true);
    expect(await registry.delete('acme', 'beta')).toBe(true);
    expect((await registry.collectUnreferenced()).sort()).toEqual([second.version, beta.version].sort());
    expect((await registry.loadVersion(first.version)).version).toBe(first.version);
    await redis.del(`${shard.queue}:wait`);
    expect(await registry.collectUnreferenced()).toEqual([first.version]);

    // The registry's keys are all on one node; nothing of it is left.
    const slot = keySlot(keys.version(first.version));
    const owner = cluster.nodes.find((node) => redis.slots[slot]?.[0] === `127.0.0.1:${node.port}`);
    const left = await cluster.cli(owner?.port as number, 'cluster', 'countkeysinslot', String(slot));
    expect(Number(left)).toBe(0);
    // Redis Cluster's own slot for a key is the one the layout computes.
    expect(Number(await cluster.cli(owner?.port as number, 'cluster', 'keyslot', keys.version(first.version)))).toBe(slot);
  });
});
