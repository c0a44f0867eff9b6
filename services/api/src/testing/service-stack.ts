/**
 * The service as deployed, for the chaos tests: a private `redis-server`
 * (with the persistence a test asks for; or a cluster or Sentinels the test
 * started, `startServiceStackOn`), an API process and worker processes (the
 * built `main.js` of each), the tiny ensemble registered, and a client that
 * submits predictions and follows jobs over HTTP.
 */
import { createRequire } from 'node:module';
import {
  freePort,
  type PrivateRedis,
  type ServiceProcess,
  startPrivateRedis,
  startServiceProcess,
  waitUntilReady,
} from '@ensembles/redis-testing';
import { tinyUpload } from './tiny-ensemble.js';

export const apiMain = new URL('../../dist/main.js', import.meta.url).pathname;
/** The worker's `main.js`, found through its package (beside its `index.js`). */
export const workerMain = new URL('./main.js', `file://${createRequire(import.meta.url).resolve('@ensembles/worker')}`).pathname;

export interface StackOptions {
  /** Extra `redis-server` arguments (persistence, memory limits). */
  readonly redisArgs?: readonly string[];
  readonly workers?: number;
  /** Settings for the API and the workers alike. */
  readonly env?: Readonly<Record<string, string>>;
}

export interface Submission {
  readonly status: number;
  /** The job's id, when it was accepted (202). */
  readonly id: string | undefined;
  readonly code: string | undefined;
  readonly ms: number;
}

/** The stack on a Redis the test started itself (a cluster, Sentinels), named by `env`. */
export interface ServiceStackOn {
  readonly api: ServiceProcess;
  readonly workers: ServiceProcess[];
  readonly base: string;
  /** Submits one prediction of the tiny ensemble; never throws (a failed connection is status 0). */
  submit(): Promise<Submission>;
  /** Submits one with `Prefer: wait=seconds`: the job's status as answered (`completed` with 200) or the HTTP status, and how long the answer took. */
  submitAndWait(seconds: number): Promise<{ readonly status: string; readonly ms: number }>;
  /** Starts one more worker process, with the stack's settings. */
  addWorker(): ServiceProcess;
  /** A job's status (`queued`, `active`, `completed`, `failed`), or the HTTP status when the API does not show it. */
  jobStatus(id: string): Promise<string>;
  /** Polls `ids` until each is completed or failed, or `timeoutMs` passes; each id's last status. */
  settle(ids: readonly string[], timeoutMs: number): Promise<Map<string, string>>;
  /** Kills the processes (not the Redis the test started). */
  stop(): Promise<void>;
}

export interface ServiceStack extends ServiceStackOn {
  readonly redis: PrivateRedis;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startServiceStack(options: StackOptions = {}): Promise<ServiceStack> {
  const redis = await startPrivateRedis({ args: options.redisArgs ?? [] });
  try {
    const stack = await startServiceStackOn({ REDIS_URL: redis.url }, options);
    return {
      ...stack,
      redis,
      async stop() {
        await stack.stop();
        await redis.stop();
      },
    };
  } catch (error) {
    await redis.stop();
    throw error;
  }
}

/** The stack's processes on the Redis that `redisEnv` names (`REDIS_CLUSTER_NODES`, `REDIS_SENTINELS`, ...). */
export async function startServiceStackOn(redisEnv: Readonly<Record<string, string>>, options: StackOptions = {}): Promise<ServiceStackOn> {
  const port = await freePort();
  const env = { ...redisEnv, REDIS_PREFIX: 'chaos', LOG_LEVEL: 'warn', ENSEMBLE_THREADS: '1', ...options.env };
  const api = startServiceProcess(apiMain, { ...env, PORT: String(port) });
  const workers = Array.from({ length: options.workers ?? 2 }, () => startServiceProcess(workerMain, env));
  const base = `http://127.0.0.1:${port}`;
  const stack: ServiceStackOn = {
    api,
    workers,
    base,
    async submit() {
      const started = performance.now();
      try {
        const response = await fetch(`${base}/v1/ensembles/tiny/predictions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ input: { shape: [1, 3], data: [1, 2, 3] } }),
          signal: AbortSignal.timeout(30_000),
        });
        const body = (await response.json().catch(() => ({}))) as { id?: string; error?: { code?: string } };
        return {
          status: response.status,
          id: response.status === 202 ? body.id : undefined,
          code: body.error?.code,
          ms: performance.now() - started,
        };
      } catch {
        return { status: 0, id: undefined, code: 'NO_ANSWER', ms: performance.now() - started };
      }
    },
    async submitAndWait(seconds) {
      const started = performance.now();
      const status = async () => {
        const response = await fetch(`${base}/v1/ensembles/tiny/predictions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', prefer: `wait=${seconds}` },
          body: JSON.stringify({ input: { shape: [1, 3], data: [1, 2, 3] } }),
          signal: AbortSignal.timeout((seconds + 10) * 1000),
        });
        const body = (await response.json().catch(() => ({}))) as { status?: string };
        return response.status === 200 || response.status === 202 ? (body.status ?? String(response.status)) : String(response.status);
      };
      return { status: await status().catch(() => 'no answer'), ms: performance.now() - started };
    },
    addWorker() {
      const worker = startServiceProcess(workerMain, env);
      workers.push(worker);
      return worker;
    },
    jobStatus: (id) => fetchJobStatus(base, id),
    async settle(ids, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      const statuses = new Map<string, string>();
      let open = [...ids];
      while (open.length > 0) {
        for (let i = 0; i < open.length; i += 50) {
          const batch = open.slice(i, i + 50);
          const found = await Promise.all(batch.map((id) => stack.jobStatus(id)));
          for (const [j, id] of batch.entries()) statuses.set(id, found[j] as string);
        }
        open = open.filter((id) => !['completed', 'failed'].includes(statuses.get(id) as string));
        if (open.length === 0 || Date.now() > deadline) break;
        await sleep(200);
      }
      return statuses;
    },
    async stop() {
      await Promise.all([api, ...workers].map((child) => child.kill('SIGKILL')));
    },
  };
  try {
    // Live, not ready: a test may start Redis as the API must refuse to be ready on (evicting keys).
    await waitUntilReady(`${base}/v2/health/live`, api);
    const { payload, headers } = tinyUpload();
    // A 503 while the API's connection is still finding Redis (through Sentinels, a cluster's slots) is tried again.
    for (const deadline = Date.now() + 15_000; ; await sleep(100)) {
      const upload = await fetch(`${base}/v1/ensembles`, { method: 'POST', body: payload, headers });
      if (upload.status === 201) break;
      if (upload.status !== 503 || Date.now() > deadline) {
        throw new Error(`registering the tiny ensemble answered ${upload.status}: ${await upload.text()}`);
      }
    }
  } catch (error) {
    await stack.stop();
    throw error;
  }
  return stack;
}

/** A job's status as the API at `base` shows it, its HTTP status when not found (404), or `no answer`. */
export async function fetchJobStatus(base: string, id: string): Promise<string> {
  try {
    const response = await fetch(`${base}/v1/jobs/${id}`, { signal: AbortSignal.timeout(10_000) });
    if (!response.ok) return String(response.status);
    return ((await response.json()) as { status: string }).status;
  } catch {
    return 'no answer';
  }
}
