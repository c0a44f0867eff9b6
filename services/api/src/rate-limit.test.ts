/**
 * Rate limits per tenant, shared through Redis by two API processes (two
 * apps on one Redis here): past the limit, 429 `RATE_LIMITED` with
 * `Retry-After`, on every tenant route of either process; other tenants,
 * liveness and readiness are not touched.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseApiConfig } from './api-config.js';
import { buildApp } from './app.js';
import { openAppContext } from './open-app-context.js';
import { startTestApi, type TestApi } from './testing/test-api.js';

const ACME = 'acme-key-0123456789';
const GLOBEX = 'globex-key-0123456789';
const settings = { REDIS_PREFIX: 'ratetest', API_KEYS: `acme:${ACME},globex:${GLOBEX}`, RATE_LIMIT_PER_MINUTE: '5' };

let api: TestApi;
let first: FastifyInstance;
let second: FastifyInstance;
let closeSecond: () => Promise<void>;

beforeAll(async () => {
  api = await startTestApi(settings);
  first = api.app;
  const context = await openAppContext(parseApiConfig({ ...settings, REDIS_URL: api.redis.url }));
  second = await buildApp(context);
  closeSecond = async () => {
    await second.close();
    await context.close();
  };
});

afterAll(async () => {
  await closeSecond?.();
  await api?.stop();
});

const as = (key: string) => ({ authorization: `Bearer ${key}` });

describe('rate limits', () => {
  it("share one tenant's limit between API processes, and answer 429 with Retry-After past it", async () => {
    for (const app of [first, second, first, second, first]) {
      expect((await app.inject({ method: 'GET', url: '/v1/ensembles', headers: as(ACME) })).statusCode).toBe(200);
    }
    for (const app of [first, second]) {
      const limited = await app.inject({ method: 'GET', url: '/v1/workers', headers: as(ACME) });
      expect(limited.statusCode).toBe(429);
      expect(limited.json().error.code).toBe('RATE_LIMITED');
      expect(limited.json().error.message).toContain('RATE_LIMIT_PER_MINUTE');
      const retryAfter = Number(limited.headers['retry-after']);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(120);
    }
    const infer = await second.inject({
      method: 'POST',
      url: '/v2/models/tiny/infer',
      headers: as(ACME),
      payload: { inputs: [{ name: 'input', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }] },
    });
    expect(infer.statusCode).toBe(429);
    expect(infer.json().error).toContain('RATE_LIMIT_PER_MINUTE');
  });

  it('leave other tenants, liveness and readiness alone', async () => {
    expect((await first.inject({ method: 'GET', url: '/v1/ensembles', headers: as(GLOBEX) })).statusCode).toBe(200);
    for (let i = 0; i < 10; i++) {
      expect((await second.inject({ method: 'GET', url: '/v2/health/ready' })).statusCode).toBe(200);
      expect((await second.inject({ method: 'GET', url: '/v2/health/live' })).statusCode).toBe(200);
    }
  });

  it('count nothing without a valid key (that is a 401, before any limit)', async () => {
    const response = await first.inject({ method: 'GET', url: '/v1/ensembles', headers: as('not-a-key-0123456789') });
    expect(response.statusCode).toBe(401);
  });
});
