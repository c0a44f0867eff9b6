/**
 * API processes as deployed: two `main.js` processes and a worker on one
 * private Redis. An ensemble registered through one is served by the other,
 * and a job submitted to one is followed, to its result, through the other.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { freePort, type PrivateRedis, startPrivateRedis } from '@ensembles/redis-testing';
import { type PredictionWorker, parseWorkerConfig, startPredictionWorker } from '@ensembles/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyUpload } from './testing/tiny-ensemble.js';

const main = new URL('../dist/main.js', import.meta.url).pathname;

let redis: PrivateRedis;
let worker: PredictionWorker;
const apis: { process: ChildProcess; base: string }[] = [];

async function startApi(): Promise<string> {
  const port = await freePort();
  const child = spawn(process.execPath, [main], {
    env: { ...process.env, REDIS_URL: redis.url, REDIS_PREFIX: 'apiprocs', PORT: String(port), LOG_LEVEL: 'silent' },
    stdio: 'ignore',
  });
  const base = `http://127.0.0.1:${port}`;
  apis.push({ process: child, base });
  // Up to 30 s: starting a process on a busy machine can take a while.
  for (let i = 0; i < 600; i++) {
    if (
      await fetch(`${base}/v2/health/ready`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return base;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('an API process did not become ready');
}

beforeAll(async () => {
  redis = await startPrivateRedis();
  worker = startPredictionWorker(parseWorkerConfig({ REDIS_URL: redis.url, REDIS_PREFIX: 'apiprocs', ENSEMBLE_THREADS: '1' }));
});

afterAll(async () => {
  for (const api of apis) api.process.kill('SIGKILL');
  await worker?.close();
  await redis?.stop();
});

describe('several API processes', () => {
  it('share the registry and the queue', async () => {
    const [first, second] = await Promise.all([startApi(), startApi()]);
    const { payload, headers } = tinyUpload();
    const upload = await fetch(`${first}/v1/ensembles`, { method: 'POST', body: payload, headers });
    expect(upload.status).toBe(201);

    const submitted = await fetch(`${second}/v1/ensembles/tiny/predictions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ input: { shape: [1, 3], data: [1, 2, 3] } }),
    });
    expect(submitted.status).toBe(202);
    const { url } = (await submitted.json()) as { url: string };
    let job = { status: 'queued' } as { status: string; result?: { members: { shape: number[] } } };
    for (let i = 0; i < 200 && job.status !== 'completed'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      job = (await (await fetch(`${first}${url}`)).json()) as typeof job;
    }
    expect(job.status).toBe('completed');
    expect(job.result?.members.shape).toEqual([2, 1, 2]);
  }, 60_000);
});
