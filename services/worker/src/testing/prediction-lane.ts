/**
 * A lane of the prediction queue for the chaos tests: its own key prefix on a
 * private Redis, an ensemble registered there, worker processes (the built
 * `main.js`) started on it, jobs submitted as the API submits them, and an
 * account of how every job ended: its state, its result, how often a worker
 * took it, which worker finished it.
 */
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
import {
  encodeInlineInput,
  PREDICTION_QUEUE,
  type PredictionJobData,
  predictionJobOptions,
  predictionJobResultSchema,
  type RedisKeys,
  redisKeys,
  sharedSettings,
  travelsInline,
} from '@ensembles/jobs';
import { type ServiceProcess, startServiceProcess } from '@ensembles/redis-testing';
import { EnsembleRegistry } from '@ensembles/registry';
import { type Job, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { z } from 'zod';

export const workerMain = new URL('../../dist/main.js', import.meta.url).pathname;

/** 16 members 256-1024-10: a pass over a few jobs takes milliseconds, so that jobs are in flight when a worker dies. */
export const laneManifest = {
  name: 'wide',
  members: 16,
  input: { shape: [256] },
  layers: [{ op: 'linear', name: 'fc1', in: 256, out: 1024 }, { op: 'relu' }, { op: 'linear', name: 'fc2', in: 1024, out: 10 }],
};

/** How one job ended. */
export interface JobOutcome {
  readonly id: string;
  readonly state: string;
  /** Times a worker took it (BullMQ's `attemptsStarted`): 1 unless a worker died holding it or it was retried. */
  readonly started: number;
  /** Failed attempts. */
  readonly attemptsMade: number;
  readonly failedReason: string | undefined;
  /** The worker that completed it (`host:pid`), and the one that computed its result (an earlier one, if it died after writing it). */
  readonly completedBy: string | undefined;
  readonly computedBy: string | undefined;
  readonly finishedOn: number | undefined;
  /** Its result is there: inline in its return value, or stored under its key. */
  readonly hasResult: boolean;
}

export interface PredictionLane {
  readonly prefix: string;
  readonly keys: RedisKeys;
  readonly queue: Queue;
  readonly redis: Redis;
  readonly version: string;
  /** Starts a worker process with the lane's settings and `env` on top. */
  startWorker(env?: Readonly<Record<string, string>>): ServiceProcess;
  /**
   * Submits `count` jobs of `rows` input rows as the API does (inputs inline
   * up to the default `INLINE_TENSOR_BYTES`, else stored); `input(i)` may give
   * job i stored input bytes of its own (a corrupt file, say).
   */
  submit(count: number, options?: { rows?: number; attempts?: number; input?: (i: number) => Uint8Array | undefined }): Promise<string[]>;
  /** Waits until `ids` have all completed or failed; throws (with the counts) after `timeoutMs`. */
  waitForAll(ids: readonly string[], timeoutMs: number): Promise<void>;
  outcomes(ids: readonly string[]): Promise<JobOutcome[]>;
  /** The active jobs held by the worker with process id `pid`. */
  activeOf(pid: number): Promise<string[]>;
  close(): Promise<void>;
}

export const laneSettings = {
  ENSEMBLE_THREADS: '1',
  WORKER_CONCURRENCY: '16',
  BATCH_MAX_WAIT_MS: '2',
  JOB_ATTEMPTS: '3',
  LOG_LEVEL: 'warn',
};

export async function openPredictionLane(url: string, env: Readonly<Record<string, string>> = {}): Promise<PredictionLane> {
  const prefix = `chaos-${randomUUID().slice(0, 8)}`;
  const keys = redisKeys(prefix);
  const redis = new Redis(url, { maxRetriesPerRequest: null });
  const architecture = parseManifest(laneManifest);
  const weights = writeStackedEnsemble(stackFloat32Members(architecture, randomMembers(architecture, 1)));
  const { version } = await new EnsembleRegistry(redis, { keys }).register('default', laneManifest, weights);
  const queue = new Queue(PREDICTION_QUEUE, { connection: redis, prefix: `${prefix}:bull` });
  const workers: ServiceProcess[] = [];

  return {
    prefix,
    keys,
    queue,
    redis,
    version,
    startWorker(extra = {}) {
      const worker = startServiceProcess(workerMain, { REDIS_URL: url, REDIS_PREFIX: prefix, ...laneSettings, ...env, ...extra });
      workers.push(worker);
      return worker;
    },
    async submit(count, { rows = 4, attempts = 3, input } = {}) {
      const ids = Array.from({ length: count }, () => randomUUID());
      const data = (inlineInput?: string): PredictionJobData => ({
        tenant: 'default',
        ensemble: laneManifest.name,
        version,
        options: { mode: 'shared', combine: 'mean', uncertainty: false },
        inputShape: [rows, 256],
        ...(inlineInput === undefined ? {} : { inlineInput }),
        submittedAt: Date.now(),
      });
      // The limit the lane's workers (and an API beside them) run with.
      const inlineLimit = z.object(sharedSettings).parse({ ...laneSettings, ...env }).INLINE_TENSOR_BYTES;
      const store = redis.multi();
      const datas = ids.map((id, i) => {
        const tensor = randomInput([rows, 256], i);
        const own = input?.(i);
        if (!own && travelsInline(tensor.data.byteLength, inlineLimit)) return data(encodeInlineInput(tensor.data));
        store.set(keys.jobInput(id), Buffer.from(own ?? writeSafetensors([float32Tensor('input', tensor.shape, tensor.data)])), 'EX', 3600);
        return data();
      });
      await store.exec();
      // As the API adds them: attempts, backoff, retention.
      const options = predictionJobOptions({ JOB_ATTEMPTS: attempts, RESULT_TTL_SECONDS: 3600, RESULT_KEEP_JOBS: 100_000 });
      await queue.addBulk(ids.map((jobId, i) => ({ name: PREDICTION_QUEUE, data: datas[i], opts: { ...options, jobId } })));
      return ids;
    },
    async waitForAll(ids, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      let counts: Record<string, number> = {};
      while (Date.now() < deadline) {
        counts = await queue.getJobCounts('completed', 'failed', 'active', 'wait', 'delayed', 'prioritized');
        if ((counts.completed ?? 0) + (counts.failed ?? 0) >= ids.length) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`not every job finished within ${timeoutMs} ms: ${JSON.stringify(counts)}`);
    },
    async outcomes(ids) {
      return Promise.all(
        ids.map(async (id): Promise<JobOutcome> => {
          const job = (await queue.getJob(id)) as Job | undefined;
          const result = predictionJobResultSchema.safeParse(job?.returnvalue);
          return {
            id,
            state: job ? await job.getState() : 'missing',
            started: job?.attemptsStarted ?? 0,
            attemptsMade: job?.attemptsMade ?? 0,
            failedReason: job?.failedReason || undefined,
            completedBy: job?.processedBy,
            computedBy: result.success ? result.data.worker : undefined,
            finishedOn: job?.finishedOn,
            hasResult: result.data?.inlineResult !== undefined || (await redis.exists(keys.jobResult(id))) === 1,
          };
        }),
      );
    },
    async activeOf(pid) {
      const active = await queue.getJobs(['active'], 0, -1);
      return active.filter((job) => job.processedBy?.endsWith(`:${pid}`)).map((job) => job.id as string);
    },
    async close() {
      await Promise.all(workers.map((worker) => worker.kill('SIGKILL')));
      await queue.close();
      redis.disconnect();
    },
  };
}
