/**
 * A prediction queue split into shards (`QUEUE_SHARDS=3`), in process on one
 * private Redis: new jobs spread over the shards (their ids name their
 * shard), and every face of a job works whatever its shard: showing it,
 * cancelling it, an idempotent retry, waiting for it, its event stream, the
 * metrics and the dashboard; a worker takes jobs from every shard.
 */
import { jobIdShard } from '@ensembles/jobs';
import { type PredictionWorker, parseWorkerConfig, startPredictionWorker } from '@ensembles/worker';
import type { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './testing/test-api.js';
import { tinyUpload } from './testing/tiny-ensemble.js';
import { VERSION_SPILL_JOBS, WaitingJobs } from './waiting-jobs.js';

const SHARDS = 3;
let api: TestApi;

beforeAll(async () => {
  // Stored inputs and results (no inline tensors): their keys are per shard too.
  api = await startTestApi({ REDIS_PREFIX: 'shardtest', QUEUE_SHARDS: String(SHARDS), INLINE_TENSOR_BYTES: '0' });
  const { payload, headers } = tinyUpload();
  expect((await api.app.inject({ method: 'POST', url: '/v1/ensembles', payload, headers })).statusCode).toBe(201);
});
afterAll(() => api?.stop());

function submit(headers: Record<string, string> = {}) {
  return api.app.inject({
    method: 'POST',
    url: '/v1/ensembles/tiny/predictions',
    headers,
    payload: { input: { shape: [1, 3], data: [1, 2, 3] } },
  });
}

describe('a sharded prediction queue', () => {
  let worker: PredictionWorker | undefined;
  afterAll(() => worker?.close());

  it('spreads jobs over the shards and finds each by its id', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      const response = await submit();
      expect(response.statusCode).toBe(202);
      ids.push(response.json().id);
    }
    const perShard = [0, 1, 2].map((shard) => ids.filter((id) => jobIdShard(id, SHARDS) === shard).length);
    expect(perShard).toEqual([10, 10, 10]);
    const counts = await Promise.all(api.context.queues.queues.map((queue) => queue.getJobCountByTypes('waiting')));
    expect(counts).toEqual([10, 10, 10]);
    for (const id of ids.slice(0, 3)) {
      const shown = await api.app.inject({ method: 'GET', url: `/v1/jobs/${id}` });
      expect(shown.json()).toMatchObject({ id, status: 'queued' });
    }

    const metrics = (await api.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain('queue_jobs{state="waiting"} 30');
    for (let shard = 0; shard < SHARDS; shard++) expect(metrics).toContain(`queue_shard_jobs{shard="${shard}",state="waiting"} 10`);

    // Cancelling a job on shard 2 removes it and its stored input there.
    const onShard2 = ids.find((id) => jobIdShard(id, SHARDS) === 2) as string;
    const input = api.context.keys.shards[2]?.jobInput(onShard2) as string;
    expect(await api.context.redis.exists(input)).toBe(1);
    expect((await api.app.inject({ method: 'DELETE', url: `/v1/jobs/${onShard2}` })).statusCode).toBe(204);
    expect((await api.app.inject({ method: 'GET', url: `/v1/jobs/${onShard2}` })).statusCode).toBe(404);
    expect(await api.context.redis.exists(input)).toBe(0);
  });

  it('returns the same job to an idempotent retry, and completes jobs of every shard', async () => {
    const first = await submit({ 'idempotency-key': 'shard-key-1' });
    const again = await submit({ 'idempotency-key': 'shard-key-1' });
    expect(again.json().id).toBe(first.json().id);

    worker = startPredictionWorker(
      parseWorkerConfig({
        REDIS_URL: api.redis.url,
        REDIS_PREFIX: 'shardtest',
        QUEUE_SHARDS: String(SHARDS),
        ENSEMBLE_THREADS: '1',
        INLINE_TENSOR_BYTES: '0',
      }),
    );
    expect(worker.workers.map((w) => w.name)).toEqual(['predictions', 'predictions-1', 'predictions-2']);
    const waited = await Promise.all(Array.from({ length: 9 }, () => submit({ prefer: 'wait=10' })));
    for (const response of waited) {
      expect(response.statusCode).toBe(200);
      expect(response.json().status).toBe('completed');
      expect(response.json().result.members.shape).toEqual([2, 1, 2]);
    }
    const queued = first.json().id as string;
    const deadline = Date.now() + 10_000;
    while ((await api.app.inject({ method: 'GET', url: `/v1/jobs/${queued}` })).json().status !== 'completed') {
      if (Date.now() > deadline) throw new Error(`job ${queued} did not complete`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const events = await api.app.inject({ method: 'GET', url: `/v1/jobs/${queued}/events` });
    expect(events.body).toContain('"status":"completed"');
    // The 29 jobs queued before the worker started, on every shard, have completed there, their results indexed there.
    for (const [shard, queue] of api.context.queues.queues.entries()) {
      expect(await queue.getJobCountByTypes('completed')).toBeGreaterThanOrEqual(9);
      expect(await api.context.redis.zcard(api.context.keys.shards[shard]?.results as string)).toBeGreaterThanOrEqual(9);
    }
  });

  it('lists every shard on the dashboard', async () => {
    const listed = await api.app.inject({ method: 'GET', url: '/admin/queues/api/queues' });
    expect(listed.statusCode).toBe(200);
    const names = (listed.json() as { queues: { name: string }[] }).queues.map((queue) => queue.name).sort();
    expect(names).toEqual(['predictions', 'predictions-1', 'predictions-2']);
  });
});

describe('placing jobs on shards', () => {
  /** Queues whose waiting counts the test sets. */
  const queues = (counts: number[]) => counts.map((count) => ({ getJobCountByTypes: async () => count }) as unknown as Queue);
  const version = (home: number) => `${home.toString(16).padStart(8, '0')}${'0'.repeat(56)}`;

  it('spreads: the least loaded shard, ties in turn', async () => {
    const counts = [0, 0, 0];
    const jobs = new WaitingJobs(queues(counts), 60_000, 'spread');
    await jobs.current();
    const placed = Array.from({ length: 6 }, () => {
      const shard = jobs.place(version(0));
      jobs.added(shard);
      return shard;
    });
    expect(placed.sort()).toEqual([0, 0, 1, 1, 2, 2]);
    expect(counts).toEqual([0, 0, 0]);
    const busy = new WaitingJobs(queues([50, 3, 40]), 60_000, 'spread');
    await busy.current();
    expect(busy.place(version(0))).toBe(1);
  });

  it('keeps a version on its home shard unless that one is far busier than the least loaded', async () => {
    const jobs = new WaitingJobs(queues([10, 5, 0]), 60_000, 'version');
    await jobs.current();
    expect(jobs.place(version(4))).toBe(1); // 4 % 3
    expect(jobs.place(version(3))).toBe(0);
    const spilling = new WaitingJobs(queues([VERSION_SPILL_JOBS + 1, 5, 0]), 60_000, 'version');
    await spilling.current();
    expect(spilling.place(version(3))).toBe(2);
  });
});
