import { redisKeys } from '@ensembles/jobs';
import { type PrivateRedis, startPrivateRedis } from '@ensembles/redis-testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResultRetention } from './result-retention.js';

let server: PrivateRedis;
let redis: Redis;
const keys = redisKeys('retentiontest');

beforeAll(async () => {
  server = await startPrivateRedis();
  redis = new Redis(server.url);
});
afterAll(async () => {
  redis.disconnect();
  await server.stop();
});

async function complete(ids: string[], at: number): Promise<void> {
  const multi = redis.multi();
  for (const [i, id] of ids.entries()) multi.set(keys.jobResult(id), 'bytes').zadd(keys.results, at + i, id);
  await multi.exec();
}

describe('ResultRetention', () => {
  it('keeps the newest results and forgets the older ones, with their index entries', async () => {
    const ids = Array.from({ length: 2500 }, (_, i) => `job-${i}`);
    await complete(ids, Date.now() - 10_000);
    const retention = new ResultRetention(redis, keys, { keep: 100, ttlSeconds: 3600 });
    expect(await retention.trim()).toBe(2400);
    expect(await redis.zcard(keys.results)).toBe(100);
    expect(await redis.exists(keys.jobResult('job-2399'))).toBe(0);
    expect(await redis.exists(keys.jobResult('job-2400'))).toBe(1);
    expect(await redis.exists(keys.jobResult('job-2499'))).toBe(1);
    // Nothing more to do until more results arrive.
    expect(await retention.trim()).toBe(0);
  });

  it('forgets index entries whose results have outlived the TTL', async () => {
    await redis.flushdb();
    await complete(['old'], Date.now() - 120_000);
    await complete(['new'], Date.now());
    const retention = new ResultRetention(redis, keys, { keep: 100, ttlSeconds: 60 });
    expect(await retention.trim()).toBe(1);
    expect(await redis.zrange(keys.results, 0, -1)).toEqual(['new']);
  });
});
