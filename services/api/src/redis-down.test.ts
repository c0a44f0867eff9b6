/** With Redis gone, the API answers 503 at once (never a hang), and says it is not ready. */
import { describe, expect, it } from 'vitest';
import { startTestApi } from './testing/test-api.js';

describe('Redis unavailable', () => {
  it('answers 503 with a clear code, and readiness fails', async () => {
    const api = await startTestApi({ REDIS_PREFIX: 'downtest' });
    const { app } = api;
    await api.redis.stop();
    await new Promise((resolve) => setTimeout(resolve, 100));

    const list = await app.inject({ method: 'GET', url: '/v1/ensembles' });
    expect(list.statusCode).toBe(503);
    expect(list.json().error.code).toBe('REDIS_UNAVAILABLE');
    const predict = await app.inject({ method: 'POST', url: '/v1/ensembles/x/predictions', payload: { input: { shape: [1], data: [0] } } });
    expect(predict.statusCode).toBe(503);
    const ready = await app.inject({ method: 'GET', url: '/v2/health/ready' });
    expect(ready.statusCode).toBe(503);

    await api.stop();
  }, 30_000);
});
