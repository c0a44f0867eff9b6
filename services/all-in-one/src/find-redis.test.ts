import { describe, expect, it } from 'vitest';
import { describeRedis } from './find-redis.js';

describe('describeRedis', () => {
  it('says which Redis is used, how it was found, and which keys are the service’s', () => {
    const found = describeRedis({ url: 'redis://127.0.0.1:6379', source: 'local' }, 'ens');
    expect(found).toContain('redis://127.0.0.1:6379, found answering locally (not started by this service');
    expect(found).toContain('this service\'s keys are those under "ens:" (its queue under "ens:bull:")');
    expect(describeRedis({ url: 'redis://r:1', source: 'REDIS_URL' }, 'team-a')).toMatch(/from REDIS_URL; .*"team-a:"/);
    expect(describeRedis({ url: 'redis://127.0.0.1:6390', source: 'started' }, 'ens')).toContain('started by this service');
  });
});
