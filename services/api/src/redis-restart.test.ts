/**
 * Redis restarted under a running API and worker (AOF, fsync always): what
 * was accepted before survives (the ensemble, a finished job's result), and
 * both carry on without being restarted.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './testing/test-api.js';
import { tinyUpload } from './testing/tiny-ensemble.js';

let app: FastifyInstance;
let api: TestApi;

beforeAll(async () => {
  api = await startTestApi(
    { REDIS_PREFIX: 'restarttest' },
    { withWorker: true, redis: { args: ['--appendonly', 'yes', '--appendfsync', 'always'] } },
  );
  app = api.app;
});

afterAll(() => api?.stop());

const predict = () =>
  app.inject({
    method: 'POST',
    url: '/v1/ensembles/tiny/predictions',
    headers: { prefer: 'wait=20' },
    payload: { input: { shape: [1, 3], data: [1, 2, 3] } },
  });

describe('a Redis restart', () => {
  it('keeps what was accepted, and the service carries on', async () => {
    const { payload, headers } = tinyUpload();
    expect((await app.inject({ method: 'POST', url: '/v1/ensembles', payload, headers })).statusCode).toBe(201);
    const before = (await predict()).json();
    expect(before.status).toBe('completed');

    await api.redis.restart();
    for (let i = 0; i < 200 && (await app.inject({ method: 'GET', url: '/v2/health/ready' })).statusCode !== 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    const again = await app.inject({ method: 'GET', url: before.url });
    expect(again.json()).toMatchObject({ status: 'completed', result: { members: { shape: [2, 1, 2] } } });
    const after = await predict();
    expect(after.statusCode).toBe(200);
    expect(after.json().status).toBe('completed');
    expect(after.json().result.members.data).toEqual(before.result.members.data);
  }, 60_000);
});
