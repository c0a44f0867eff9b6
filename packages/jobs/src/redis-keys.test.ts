import { describe, expect, it } from 'vitest';
import { CLUSTER_SLOTS, keySlot } from './key-slot.js';
import { jobIdShard, shardJobId } from './queues.js';
import { redisKeys } from './redis-keys.js';

describe('keySlot', () => {
  it("computes Redis Cluster's slots, hash tags included", () => {
    // CLUSTER KEYSLOT on a real cluster: foo 12182, bar 5061, "" 0, and a tag hashes alone.
    expect(keySlot('foo')).toBe(12182);
    expect(keySlot('bar')).toBe(5061);
    expect(keySlot('{user1000}.following')).toBe(keySlot('{user1000}.followers'));
    expect(keySlot('{user1000}.following')).toBe(keySlot('user1000'));
    // Only the first tag counts, from the first '{' to the next '}'.
    expect(keySlot('foo{{bar}}zap')).toBe(keySlot('{bar'));
    expect(keySlot('{a}{b}')).toBe(keySlot('a'));
  });
});

describe('redisKeys', () => {
  it('lays out the plain keys as ever, shard 0 being the queue of an unsharded deployment', () => {
    const keys = redisKeys('ens', { shards: 3 });
    expect(keys.predictionQueue).toBe('ens:bull:predictions');
    expect(keys.shards.map((shard) => shard.queue)).toEqual(['ens:bull:predictions', 'ens:bull:predictions-1', 'ens:bull:predictions-2']);
    expect(keys.version('v')).toBe('ens:version:v');
    expect(keys.jobInput('j')).toBe('ens:job:j:input');
    expect(keys.shards[2]?.jobResult('j')).toBe('ens:job:j:result');
    expect(keys.shards.map((shard) => shard.results)).toEqual(['ens:results', 'ens:results:1', 'ens:results:2']);
    expect(keys.idempotency('t', 'k')).toBe('ens:tenant:t:idempotency:k');
    expect(keys.tenantRequests('t', 7)).toBe('ens:tenant:t:requests:7');
    expect(keys.notifications('api')).toBe('ens:notify:api');
    expect(redisKeys('ens')).toMatchObject({ layout: 'plain', results: 'ens:results', workers: 'ens:workers' });
  });

  it('puts the keys used together on one slot when tagged', () => {
    const keys = redisKeys('ens', { layout: 'tagged', shards: 3 });
    const registry = [
      keys.version('v'),
      keys.weightsChunk('v', 3),
      keys.versionNames('v'),
      keys.unreferencedVersions,
      keys.versionNamesIndexed,
      keys.tenantEnsembles('t'),
      keys.ensembleName('t', 'n'),
      keys.ensembleHistory('t', 'n'),
      keys.workers,
      keys.worker('w'),
    ];
    expect(new Set(registry.map(keySlot)).size).toBe(1);
    for (const shard of keys.shards) {
      const together = [`${shard.queue}:wait`, `${shard.queue}:some-job`, shard.jobInput('j'), shard.jobResult('j'), shard.results];
      expect(new Set(together.map(keySlot)).size).toBe(1);
      expect(shard.queuePrefix.startsWith('{ens:')).toBe(true);
    }
    expect(keySlot(keys.tenantRequests('t', 1))).toBe(keySlot(keys.tenantRequests('t', 2)));
    expect(keys.idempotency('t', 'k')).toBe('{ens:tenant:t:idempotency:k}');
    expect(keys.notifications('api')).toBe('{ens:notify:api}');
  });

  it('spreads K tagged shards over K equal slot ranges, whatever the prefix', () => {
    for (const prefix of ['ens', 'bench', 'x']) {
      for (const count of [1, 2, 3, 5, 16]) {
        const slots = redisKeys(prefix, { layout: 'tagged', shards: count }).shards.map((shard) => keySlot(shard.queue));
        expect(slots.map((slot) => Math.floor(slot / (CLUSTER_SLOTS / count)))).toEqual([...Array(count).keys()]);
      }
    }
  });
});

describe('job ids and shards', () => {
  it('carries the shard in the id once there are several', () => {
    for (let shard = 0; shard < 5; shard++) {
      const id = shardJobId(shard, 5);
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(jobIdShard(id, 5)).toBe(shard);
    }
    expect(jobIdShard(shardJobId(0, 1), 1)).toBe(0);
    // An id from before there were this many shards names none: look everywhere.
    expect(jobIdShard('4c1e3d7a-0000-4000-8000-0000000000ff', 3)).toBeUndefined();
  });
});
