import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { checkRedisConnectionSettings, describeRedisTarget, keyLayout, redisMode } from './redis-connection.js';
import { integerSetting, parseSettings, sharedSettings, systemKeys } from './shared-settings.js';

const schema = z.object({ ...sharedSettings, PORT: integerSetting(3000, 1) });

describe('parseSettings', () => {
  it('fills the defaults', () => {
    expect(parseSettings(schema, {}, 'test')).toMatchObject({ REDIS_URL: 'redis://127.0.0.1:6379', REDIS_PREFIX: 'ens', PORT: 3000 });
  });

  it('lists every bad variable in one error', () => {
    expect(() => parseSettings(schema, { REDIS_URL: 'nope', REDIS_PREFIX: 'a:b', PORT: '0' }, 'test')).toThrow(
      /invalid test configuration:\n {2}REDIS_URL: .*\n {2}REDIS_PREFIX: .*\n {2}PORT: /,
    );
  });
});

describe('where Redis is', () => {
  const checked = z.object({ ...sharedSettings }).superRefine(checkRedisConnectionSettings);

  it('reads cluster nodes and Sentinels as host:port lists', () => {
    const settings = parseSettings(checked, { REDIS_CLUSTER_NODES: '10.0.0.1:7000, redis-2:7001,[::1]:7002' }, 'test');
    expect(settings.REDIS_CLUSTER_NODES).toEqual([
      { host: '10.0.0.1', port: 7000 },
      { host: 'redis-2', port: 7001 },
      { host: '::1', port: 7002 },
    ]);
    expect(redisMode(settings)).toBe('cluster');
    expect(keyLayout(settings)).toBe('tagged');
    expect(systemKeys({ ...settings, QUEUE_SHARDS: 2 }).shards).toHaveLength(2);
    const sentinel = parseSettings(checked, { REDIS_SENTINELS: 's1:26379,s2:26379' }, 'test');
    expect([redisMode(sentinel), keyLayout(sentinel), sentinel.REDIS_SENTINEL_MASTER]).toEqual(['sentinel', 'plain', 'mymaster']);
    expect(redisMode(parseSettings(checked, {}, 'test'))).toBe('standalone');
  });

  it('refuses bad lists, a cluster with Sentinels, and shards beyond what a job id can name', () => {
    expect(() => parseSettings(checked, { REDIS_CLUSTER_NODES: 'a:1,b', QUEUE_SHARDS: '257' }, 'test')).toThrow(
      /REDIS_CLUSTER_NODES: "b" is not host:port.*\n {2}QUEUE_SHARDS/,
    );
    expect(() => parseSettings(checked, { REDIS_CLUSTER_NODES: 'a:1', REDIS_SENTINELS: 'b:2' }, 'test')).toThrow(
      /REDIS_SENTINELS: set REDIS_CLUSTER_NODES .* not both/,
    );
  });

  it('says where Redis is without its password', () => {
    const settings = parseSettings(checked, { REDIS_URL: 'redis://user:secret@host:6380/2' }, 'test');
    expect(describeRedisTarget(settings)).toBe('redis://user:***@host:6380/2');
  });
});
