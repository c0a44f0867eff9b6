/**
 * `@ensembles/client` against the real service: the API listening on a
 * port of its own (the client speaks HTTP through `fetch`) with a worker in
 * process, on a private Redis. Uploads both ways, predicts with a wait,
 * submits and polls, streams a job's events, cancels a queued job, lists
 * workers, gets the API's errors as typed exceptions, and retries a
 * submission whose answer was lost into the same job.
 *
 * It lives here, not in the client's package: the service's test harness
 * (`testing/test-api.ts`) is this package's, and services may depend on
 * packages while the client depends on nothing but the API's vocabulary.
 */
import type { AddressInfo } from 'node:net';
import {
  type CompletedJob,
  EnsembleApiError,
  EnsembleClient,
  type FetchFunction,
  type JobEvent,
  type ResultTensorJson,
} from '@ensembles/client';
import {
  float32Tensor,
  parseManifest,
  randomInput,
  randomMembers,
  stackFloat32Members,
  writeSafetensors,
  writeStackedEnsemble,
} from '@ensembles/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './testing/test-api.js';

const manifest = {
  name: 'client-mlp',
  members: 3,
  input: { shape: [5] },
  layers: [{ op: 'linear', name: 'fc1', in: 5, out: 8 }, { op: 'relu' }, { op: 'linear', name: 'fc2', in: 8, out: 4 }],
};
const architecture = parseManifest(manifest);
const memberParameters = randomMembers(architecture, 11);
const memberFiles = memberParameters.map((member) =>
  writeSafetensors([...member].map(([name, data]) => float32Tensor(name, architecture.parameterShapes.get(name) as number[], data))),
);
const stackedFile = writeStackedEnsemble(stackFloat32Members(architecture, memberParameters));
const input = randomInput([2, 5], 3);

let api: TestApi;
let baseUrl: string;
let client: EnsembleClient;

beforeAll(async () => {
  api = await startTestApi({ REDIS_PREFIX: 'clienttest' }, { withWorker: true });
  await api.app.listen({ port: 0, host: '127.0.0.1' });
  baseUrl = `http://127.0.0.1:${(api.app.server.address() as AddressInfo).port}`;
  client = new EnsembleClient({ baseUrl });
});

afterAll(() => api?.stop());

/** The in-process worker, to pause so that what is submitted stays queued. */
function worker() {
  const running = api.worker?.worker;
  if (!running) throw new Error('the test API has no worker');
  return running;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function rowSums(tensor: ResultTensorJson | undefined, columns: number): number[] {
  const data = (tensor?.data ?? []) as number[];
  return Array.from({ length: data.length / columns }, (_, row) =>
    data.slice(row * columns, (row + 1) * columns).reduce((a, b) => a + b, 0),
  );
}

describe('the client against the service', () => {
  let version: string;

  it('uploads an ensemble from member files, and the same content from its stacked file', async () => {
    const fromMembers = await client.uploadEnsemble({ manifest, members: memberFiles });
    expect(fromMembers).toMatchObject({ name: 'client-mlp', members: 3, parameters: 3 * (5 * 8 + 8 + 8 * 4 + 4), created: true });
    version = fromMembers.version;

    const fromStacked = await client.uploadEnsemble({ manifest: JSON.stringify(manifest), weights: new Blob([stackedFile]) });
    expect(fromStacked).toMatchObject({ name: 'client-mlp', version, created: false });

    expect((await client.listEnsembles()).map((ensemble) => ensemble.name)).toEqual(['client-mlp']);
    const detail = await client.getEnsemble(`client-mlp@${version}`);
    expect(detail.versions.map((shown) => shown.version)).toEqual([version]);
  });

  it('predicts with a wait, and the result tensors come typed', async () => {
    const job: CompletedJob = await client.predict(
      'client-mlp',
      { input: { shape: [2, 5], data: input.data }, combine: 'mean-softmax', uncertainty: true },
      { waitSeconds: 20 },
    );
    expect(job).toMatchObject({ status: 'completed', ensemble: { name: 'client-mlp', version } });
    expect(job.result.members.shape).toEqual([3, 2, 4]);
    expect(job.result.combined?.shape).toEqual([2, 4]);
    for (const sum of rowSums(job.result.combined, 4)) expect(sum).toBeCloseTo(1, 5);
    expect(job.result.predictiveEntropy?.shape).toEqual([2]);
    expect(job.result.disagreement?.shape).toEqual([2]);
    expect(job.timings.computeMs).toBeGreaterThanOrEqual(0);

    // The worker that ran it is among the live ones.
    const workers = await client.listWorkers();
    expect(workers.map((worker) => worker.id)).toContain(job.worker);
    expect(workers[0]).toMatchObject({ engine: expect.any(String), versions: expect.arrayContaining([version]) });
  });

  it('submits, then polls the job to completion', async () => {
    const queued = await client.submitPrediction('client-mlp', {
      input: { shape: [1, 5], data: input.data.subarray(0, 5) },
      combine: 'vote',
    });
    expect(queued).toMatchObject({ status: 'queued', url: `/v1/jobs/${queued.id}` });
    const job = await client.waitForJob(queued.id, { pollIntervalMs: 20 });
    expect(job.id).toBe(queued.id);
    expect(job.result.combined?.shape).toEqual([1]);
    expect(await client.getJob(queued.id)).toMatchObject({ id: queued.id, status: 'completed' });
  });

  it('streams a job from queued to completed', async () => {
    const events: JobEvent[] = [];
    let streamed: Promise<void>;
    await worker().pause();
    try {
      const queued = await client.submitPrediction('client-mlp', { input: { shape: [2, 5], data: input.data } });
      streamed = (async () => {
        for await (const event of client.streamJob(queued.id)) events.push(event);
      })();
      // The stream shows the job waiting before the worker takes it.
      for (let i = 0; i < 500 && events.length === 0; i++) await pause(20);
    } finally {
      worker().resume();
    }
    await streamed;
    const statuses = events.map((event) => (event.type === 'status' ? event.job.status : `error: ${event.error}`));
    expect(statuses[0]).toBe('queued');
    expect(statuses.at(-1)).toBe('completed');
    expect(new Set(statuses).size).toBe(statuses.length);
    const last = events.at(-1);
    expect(last?.type === 'status' ? last.job.result?.members?.shape : undefined).toEqual([3, 2, 4]);
  });

  it('cancels a queued job, and says 409 JOB_FINISHED for one that has completed', async () => {
    await worker().pause();
    try {
      const queued = await client.submitPrediction('client-mlp', { input: { shape: [1, 5], data: input.data.subarray(0, 5) } });
      await client.cancelJob(queued.id);
      await expect(client.getJob(queued.id)).rejects.toMatchObject({ status: 404, code: 'JOB_NOT_FOUND' });
    } finally {
      worker().resume();
    }
    const done = await client.predict('client-mlp', { input: { shape: [1, 5], data: input.data.subarray(0, 5) } });
    await expect(client.cancelJob(done.id)).rejects.toMatchObject({ name: 'EnsembleApiError', status: 409, code: 'JOB_FINISHED' });
  });

  it('throws the API errors as EnsembleApiError with their status, code, message and issues', async () => {
    const missing = await client.predict('no-such-ensemble', { input: { shape: [1, 5], data: [1, 2, 3, 4, 5] } }).catch((error) => error);
    expect(missing).toBeInstanceOf(EnsembleApiError);
    expect(missing).toMatchObject({ status: 404, code: 'ENSEMBLE_NOT_FOUND', issues: [] });
    expect(missing.message).toMatch(/no-such-ensemble/);

    const wrongShape = await client.predict('client-mlp', { input: { shape: [1, 6], data: [1, 2, 3, 4, 5, 6] } }).catch((error) => error);
    expect(wrongShape).toMatchObject({ status: 400, code: 'INPUT_INVALID' });
    expect(wrongShape.message).toMatch(/\[1, 6\]/);

    // What the typed client would not let through, sent anyway: each bad field listed by path.
    const data = [1, 'two', 3, 4, 1e39] as unknown as number[];
    const badFields = await client
      .predict('client-mlp', { input: { shape: [1, 5], data }, combine: 'median' as 'mean' })
      .catch((error) => error);
    expect(badFields).toMatchObject({ status: 400, code: 'REQUEST_INVALID' });
    expect((badFields as EnsembleApiError).issues.map((issue) => issue.path)).toEqual(
      expect.arrayContaining(['body.combine', 'body.input.data.1', 'body.input.data.4']),
    );
  });

  it('retries a submission whose answer was lost, and gets the same job; the key with another request is refused', async () => {
    const lost: string[] = [];
    // The first answer to a submission reaches the service and back, then is dropped as a broken connection would drop it.
    const dropFirstAnswer: FetchFunction = async (url, init) => {
      const response = await fetch(url, init);
      if (init.method === 'POST' && lost.length === 0) {
        lost.push(((await response.json()) as { id: string }).id);
        throw new TypeError('fetch failed: the connection was reset');
      }
      return response;
    };
    const retrying = new EnsembleClient({ baseUrl, fetch: dropFirstAnswer, retry: { retries: 2, minDelayMs: 10 } });
    const waiting = await api.context.queue.getJobCounts();
    const job = await retrying.predict(
      'client-mlp',
      { input: { shape: [1, 5], data: input.data.subarray(0, 5) } },
      { idempotencyKey: 'order-42' },
    );
    expect(lost).toHaveLength(1);
    expect(job.id).toBe(lost[0]);
    const after = await api.context.queue.getJobCounts();
    expect((after.completed ?? 0) - (waiting.completed ?? 0)).toBe(1);

    const reused = retrying.submitPrediction(
      'client-mlp',
      { input: { shape: [1, 5], data: [0, 0, 0, 0, 0] } },
      { idempotencyKey: 'order-42' },
    );
    await expect(reused).rejects.toMatchObject({ status: 422, code: 'IDEMPOTENCY_KEY_REUSED' });
  });
});
