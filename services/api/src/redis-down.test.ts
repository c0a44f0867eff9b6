/** With Redis gone, the API answers 503 at once (never a hang), and says it is not ready. */
import { startPrivateRedis } from '@ensembles/redis-testing';
import { describe, expect, it } from 'vitest';
import { parseApiConfig } from './api-config.js';
import { buildApp } from './app.js';
import { openAppContext } from './open-app-context.js';

describe('Redis unavailable', () => {
  it('answers 503 with a clear code, and readiness fails', async () => {
    const redis = await startPrivateRedis();
    const context = await openAppContext(parseApiConfig({ REDIS_URL: redis.url, REDIS_PREFIX: 'downtest' }));
    const app = await buildApp(context);
    await redis.stop();
    await new Promise((resolve) => setTimeout(resolve, 100));

    const list = await app.inject({ method: 'GET', url: '/v1/ensembles' });
    expect(list.statusCode).toBe(503);
    expect(list.json().error.code).toBe('REDIS_UNAVAILABLE');
    const predict = await app.inject({ method: 'POST', url: '/v1/ensembles/x/predictions', payload: { input: { shape: [1], data: [0] } } });
    expect(predict.statusCode).toBe(503);
    const ready = await app.inject({ method: 'GET', url: '/v2/health/ready' });
    expect(ready.statusCode).toBe(503);

    await app.close();
    await context.close();
  }, 30_000);
});
