import { describe, expect, it } from 'vitest';
import { describeRedis, findRedis } from './find-redis.js';

describe('describeRedis', () => {
  it('says which Redis is used, how it was found, and which keys are the service’s', () => {
    const found = describeRedis({ url: 'redis://127.0.0.1:6379', source: 'local' }, 'ens');
    expect(found).toContain('redis://127.0.0.1:6379, found answering locally (not started by this service');
    expect(found).toContain('this service\'s keys are those under "ens:" (its queue under "ens:bull:")');
    expect(describeRedis({ url: 'redis://r:1', source: 'REDIS_URL' }, 'team-a')).toMatch(/from REDIS_URL; .*"team-a:"/);
    expect(describeRedis({ url: 'redis://127.0.0.1:6390', source: 'started' }, 'ens')).toContain('started by this service');
    expect(describeRedis({ url: '10.0.0.1:7000,10.0.0.2:7000', source: 'REDIS_CLUSTER_NODES' }, 'ens')).toContain(
      'a Redis Cluster, from REDIS_CLUSTER_NODES; this service\'s keys are those starting with "{ens"',
    );
  });
});

describe('findRedis', () => {
  it('uses a cluster or Sentinels as they are set, looking for no server', async () => {
    const cluster = await findRedis({ REDIS_CLUSTER_NODES: '10.0.0.1:7000', REDIS_URL: 'redis://x:1' }, '/nonexistent');
    expect(cluster).toMatchObject({ url: '10.0.0.1:7000', source: 'REDIS_CLUSTER_NODES' });
    expect((await findRedis({ REDIS_SENTINELS: 's:26379' }, '/nonexistent')).source).toBe('REDIS_SENTINELS');
  });
});
