/**
 * API processes as deployed: two `main.js` processes and a worker on one
 * private Redis. An ensemble registered through one is served by the other,
 * and a job submitted to one is followed, to its result, through the other:
 * polled, waited for again (its notice goes to the process that submitted
 * it; the other reads its state), and streamed.
 */
import {
  freePort,
  type PrivateRedis,
  type ServiceProcess,
  startPrivateRedis,
  startServiceProcess,
  waitUntilReady,
} from '@ensembles/redis-testing';
import { type PredictionWorker, parseWorkerConfig, startPredictionWorker } from '@ensembles/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiMain } from './testing/service-stack.js';
import { tinyUpload } from './testing/tiny-ensemble.js';

let redis: PrivateRedis;
let worker: PredictionWorker;
const apis: ServiceProcess[] = [];

async function startApi(): Promise<string> {
  const port = await freePort();
  const api = startServiceProcess(apiMain, { REDIS_URL: redis.url, REDIS_PREFIX: 'apiprocs', PORT: String(port), LOG_LEVEL: 'silent' });
  apis.push(api);
  const base = `http://127.0.0.1:${port}`;
  // Up to 30 s: starting a process on a busy machine can take a while.
  await waitUntilReady(`${base}/v2/health/ready`, api, 30_000);
  return base;
}

beforeAll(async () => {
  redis = await startPrivateRedis();
  worker = startPredictionWorker(parseWorkerConfig({ REDIS_URL: redis.url, REDIS_PREFIX: 'apiprocs', ENSEMBLE_THREADS: '1' }));
});

afterAll(async () => {
  await Promise.all(apis.map((api) => api.kill('SIGKILL')));
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

  it('answer a wait and a stream for a job the other one submitted', async () => {
    const [first, second] = await Promise.all([startApi(), startApi()]);
    const { payload, headers } = tinyUpload();
    await fetch(`${first}/v1/ensembles`, { method: 'POST', body: payload, headers });
    // Submitted to the first while no worker takes it, so that the second has to wait for it.
    await worker.worker.pause();
    const body = JSON.stringify({ input: { shape: [1, 3], data: [1, 2, 3] } });
    const request = (base: string, prefer?: string) =>
      fetch(`${base}/v1/ensembles/tiny/predictions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': 'across-processes', ...(prefer ? { prefer } : {}) },
        body,
      });
    const submitted = (await (await request(first)).json()) as { id: string };
    const waited = request(second, 'wait=20');
    const streamed = fetch(`${second}/v1/jobs/${submitted.id}/events`).then((response) => response.text());
    await new Promise((resolve) => setTimeout(resolve, 300));
    worker.worker.resume();
    const answer = await waited;
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ id: submitted.id, status: 'completed' });
    const events = await streamed;
    expect(events).toContain('"status":"queued"');
    expect(events).toMatch(/"status":"completed".*"result"/);
  }, 60_000);
});
