import { describe, expect, it } from 'vitest';
import { parseWorkerConfig } from './worker-config.js';

describe('the worker settings', () => {
  it('takes jobs from every shard by default, or from the shards listed', () => {
    expect(parseWorkerConfig({}).WORKER_SHARDS).toEqual([]);
    expect(parseWorkerConfig({ QUEUE_SHARDS: '4', WORKER_SHARDS: '3, 1,1' }).WORKER_SHARDS).toEqual([1, 3]);
  });

  it('refuses shards that do not exist, and a cluster with Sentinels', () => {
    expect(() => parseWorkerConfig({ QUEUE_SHARDS: '3', WORKER_SHARDS: '0,3' })).toThrow(
      /WORKER_SHARDS: shard 3 does not exist: QUEUE_SHARDS is 3 \(shards 0 to 2\)/,
    );
    expect(() => parseWorkerConfig({ WORKER_SHARDS: 'a' })).toThrow(/WORKER_SHARDS: must be shard numbers/);
    expect(() => parseWorkerConfig({ REDIS_CLUSTER_NODES: 'a:1', REDIS_SENTINELS: 'b:2' })).toThrow(/not both/);
  });
});
