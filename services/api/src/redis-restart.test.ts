/**
 * Redis restarted under a running API and worker (AOF, fsync always): what
 * was accepted before survives (the ensemble, a finished job's result), and
 * both carry on without being restarted.
 */
import { type PrivateRedis, startPrivateRedis } from '@ensembles/redis-testing';
import { type PredictionWorker, parseWorkerConfig, startPredictionWorker } from '@ensembles/worker';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseApiConfig } from './api-config.js';
import { buildApp } from './app.js';
import { openAppContext } from './open-app-context.js';
import { tinyUpload } from './testing/tiny-ensemble.js';

let redis: PrivateRedis;
let app: FastifyInstance;
let worker: PredictionWorker;
let closeContext: () => Promise<void>;

beforeAll(async () => {
  redis = await startPrivateRedis({ args: ['--appendonly', 'yes', '--appendfsync', 'always'] });
  const env = { REDIS_URL: redis.url, REDIS_PREFIX: 'restarttest', LOG_LEVEL: 'silent', ENSEMBLE_THREADS: '1' };
  const context = await openAppContext(parseApiConfig(env));
  closeContext = context.close;
  app = await buildApp(context);
  worker = startPredictionWorker(parseWorkerConfig(env));
});

afterAll(async () => {
  await app?.close();
  await worker?.close();
  await closeContext?.();
  await redis?.stop();
});

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

    await redis.restart();
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
