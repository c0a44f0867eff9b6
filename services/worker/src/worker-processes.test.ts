/**
 * Worker processes as they are deployed: several `main.js` processes on one
 * private Redis share the queue, and when one is killed in the middle of its
 * work, another finishes its jobs; every job completes once, with its result.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  float32Tensor,
  parseManifest,
  randomInput,
  randomMembers,
  stackFloat32Members,
  writeSafetensors,
  writeStackedEnsemble,
} from '@ensembles/core';
import { PREDICTION_QUEUE, type PredictionJobData, predictionJobResultSchema, redisKeys } from '@ensembles/jobs';
import { type PrivateRedis, startPrivateRedis } from '@ensembles/redis-testing';
import { EnsembleRegistry } from '@ensembles/registry';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const main = new URL('../dist/main.js', import.meta.url).pathname;
const manifest = {
  name: 'wide',
  members: 16,
  input: { shape: [256] },
  layers: [{ op: 'linear', name: 'fc1', in: 256, out: 512 }, { op: 'relu' }, { op: 'linear', name: 'fc2', in: 512, out: 10 }],
};

let server: PrivateRedis;
let redis: Redis;
const children: ChildProcess[] = [];
const queues: Queue[] = [];

beforeAll(async () => {
  server = await startPrivateRedis();
  redis = new Redis(server.url, { maxRetriesPerRequest: null });
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  for (const queue of queues) await queue.close();
  redis?.disconnect();
  await server?.stop();
});

/** A queue, keys and a registered ensemble of its own, so that each test starts clean. */
async function openLane() {
  const prefix = `wp-${randomUUID().slice(0, 8)}`;
  const keys = redisKeys(prefix);
  const architecture = parseManifest(manifest);
  const weights = writeStackedEnsemble(stackFloat32Members(architecture, randomMembers(architecture, 1)));
  const { version } = await new EnsembleRegistry(redis, { keys }).register('default', manifest, weights);
  const queue = new Queue(PREDICTION_QUEUE, { connection: redis, prefix: `${prefix}:bull` });
  queues.push(queue);

  function startWorker(): ChildProcess {
    const child = spawn(process.execPath, [main], {
      env: {
        ...process.env,
        REDIS_URL: server.url,
        REDIS_PREFIX: prefix,
        ENSEMBLE_THREADS: '1',
        WORKER_CONCURRENCY: '4',
        // Short enough to see a dead worker's jobs retaken soon, long enough for a loaded machine to renew locks.
        WORKER_LOCK_MS: '3000',
        WORKER_STALLED_INTERVAL_MS: '1000',
        LOG_LEVEL: 'silent',
      },
      stdio: 'ignore',
    });
    children.push(child);
    return child;
  }

  async function submit(count: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const id = randomUUID();
      const input = randomInput([4, 256], i);
      await redis.set(keys.jobInput(id), Buffer.from(writeSafetensors([float32Tensor('input', input.shape, input.data)])));
      const data: PredictionJobData = {
        tenant: 'default',
        ensemble: 'wide',
        version,
        options: { mode: 'shared', combine: 'mean', uncertainty: false },
        inputShape: [4, 256],
        submittedAt: Date.now(),
      };
      await queue.add(PREDICTION_QUEUE, data, { jobId: id, attempts: 3 });
      ids.push(id);
    }
    return ids;
  }

  async function waitForAll(ids: string[], timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const counts = await queue.getJobCounts('completed', 'failed');
      if ((counts.completed ?? 0) + (counts.failed ?? 0) >= ids.length) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`not every job finished within ${timeoutMs} ms`);
  }

  return { keys, queue, startWorker, submit, waitForAll };
}

describe('worker processes', () => {
  it('share one queue, and a killed worker’s jobs are finished by another, each once', async () => {
    const { keys, queue, startWorker, submit, waitForAll } = await openLane();
    const victim = startWorker();
    const survivor = startWorker();
    const ids = await submit(120);
    // Kill one worker once it has completed a few jobs, in the middle of its work.
    // (Compiling the ensemble takes a while on a busy machine: allow it 30 s.)
    for (let i = 0; i < 3000; i++) {
      const jobs = await queue.getJobs(['completed'], 0, 200);
      const byVictim = jobs.filter((job) => String(job.returnvalue?.worker).endsWith(`:${victim.pid}`));
      if (byVictim.length >= 3) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    victim.kill('SIGKILL');
    await waitForAll(ids, 60_000);

    const counts = await queue.getJobCounts('completed', 'failed', 'active', 'wait');
    expect(counts).toMatchObject({ completed: ids.length, failed: 0, active: 0, wait: 0 });
    const workers = new Set<string>();
    let retaken = 0;
    for (const id of ids) {
      const job = await queue.getJob(id);
      if ((job?.stalledCounter ?? 0) > 0) retaken++;
      const result = predictionJobResultSchema.parse(job?.returnvalue);
      workers.add(result.worker.split(':').at(-1) as string);
      expect(await redis.exists(keys.jobResult(id))).toBe(1);
    }
    expect(workers).toEqual(new Set([String(victim.pid), String(survivor.pid)]));
    // the jobs the killed worker held were retaken once their locks expired
    expect(retaken).toBeGreaterThan(0);
    survivor.kill('SIGTERM');
  }, 120_000);

  it('drains on SIGTERM: active jobs finish, no new one starts, the process exits 0', async () => {
    const { queue, startWorker, submit } = await openLane();
    const worker = startWorker();
    const ids = await submit(200);
    for (let i = 0; i < 400 && ((await queue.getJobCounts('completed')).completed ?? 0) < 10; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const exited = new Promise<number | null>((resolve) => worker.once('exit', resolve));
    worker.kill('SIGTERM');
    expect(await exited).toBe(0);
    const counts = await queue.getJobCounts('completed', 'failed', 'active', 'wait');
    expect(counts.active).toBe(0);
    expect(counts.failed).toBe(0);
    // it stopped taking jobs: some of this round are still waiting, none is lost
    expect(counts.wait).toBeGreaterThan(0);
    expect((counts.completed ?? 0) + (counts.wait ?? 0)).toBe(ids.length);
  }, 120_000);
});
