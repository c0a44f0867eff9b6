/**
 * The service end to end in one process: the API (in-process requests) and a
 * worker on a private Redis. Uploads both ways, predicts in both modes and
 * every combine mode against the local engine, waits and polls, and refuses
 * bad requests with the right status and message.
 */
import {
  type CompiledEnsemble,
  combineMembers,
  float32Tensor,
  OnnxEngine,
  parseManifest,
  randomInput,
  randomMembers,
  readSafetensors,
  type SafetensorsTensor,
  stackFloat32Members,
  toFloat32,
  writeSafetensors,
  writeStackedEnsemble,
} from '@ensembles/core';
import { predictionJobResultSchema, RESULT_SUMMARY_METADATA } from '@ensembles/jobs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { multipartBody } from './testing/multipart.js';
import { startTestApi, type TestApi } from './testing/test-api.js';

const manifest = {
  name: 'small-mlp',
  members: 3,
  input: { shape: [6] },
  layers: [{ op: 'linear', name: 'fc1', in: 6, out: 8 }, { op: 'relu' }, { op: 'linear', name: 'fc2', in: 8, out: 4 }],
};
const architecture = parseManifest(manifest);
const memberParameters = randomMembers(architecture, 3);
const stacked = stackFloat32Members(architecture, memberParameters);
const stackedFile = writeStackedEnsemble(stacked);
const memberFiles = memberParameters.map((member) =>
  writeSafetensors([...member].map(([name, data]) => float32Tensor(name, architecture.parameterShapes.get(name) as number[], data))),
);

let app: FastifyInstance;
let api: TestApi;
const engine = new OnnxEngine({ threads: 1 });
let local: CompiledEnsemble;

beforeAll(async () => {
  api = await startTestApi({ REDIS_PREFIX: 'apitest' }, { withWorker: true });
  app = api.app;
  local = await engine.compile(stacked);
});

afterAll(async () => {
  await api?.stop();
  await engine.dispose();
});

function upload(parts: Parameters<typeof multipartBody>[0]) {
  const { payload, headers } = multipartBody(parts);
  return app.inject({ method: 'POST', url: '/v1/ensembles', payload, headers });
}

function expectClose(actual: number[], expected: ArrayLike<number>): void {
  expect(actual.length).toBe(expected.length);
  for (const [i, value] of actual.entries()) expect(Math.abs(value - (expected[i] as number))).toBeLessThan(1e-4);
}

describe('the prediction service', () => {
  let version: string;

  it('registers an ensemble from a stacked file, and the same content from member files', async () => {
    const stackedUpload = await upload([
      { name: 'manifest', content: JSON.stringify(manifest) },
      { name: 'weights', filename: 'stacked.safetensors', content: stackedFile },
    ]);
    expect(stackedUpload.statusCode).toBe(201);
    const body = stackedUpload.json();
    expect(body).toMatchObject({ name: 'small-mlp', members: 3, parameters: 3 * (6 * 8 + 8 + 8 * 4 + 4), created: true });
    expect(body.digest).toBe(`sha256:${body.version}`);
    version = body.version;

    const membersUpload = await upload([
      { name: 'manifest', content: JSON.stringify(manifest) },
      ...memberFiles.map((content, m) => ({ name: 'member', filename: `member${m}.safetensors`, content })),
    ]);
    expect(membersUpload.statusCode).toBe(201);
    expect(membersUpload.json()).toMatchObject({ version, created: false });

    const list = await app.inject({ method: 'GET', url: '/v1/ensembles' });
    expect(list.json().ensembles.map((e: { name: string }) => e.name)).toEqual(['small-mlp']);
  });

  it.each([
    ['shared', [5, 6]],
    ['per-member', [3, 5, 6]],
  ] as const)('predicts with %s input in every combine mode, matching the local engine', async (mode, shape) => {
    const input = randomInput(shape, 7);
    const expected = await local.run(input, { mode });
    for (const combine of ['none', 'mean', 'mean-softmax', 'vote', 'weighted'] as const) {
      const response = await app.inject({
        method: 'POST',
        url: '/v1/ensembles/small-mlp/predictions',
        headers: { prefer: 'wait=10' },
        payload: {
          input: { shape, data: Array.from(input.data) },
          mode,
          combine,
          ...(combine === 'weighted' ? { weights: [1, 2, 3] } : {}),
        },
      });
      expect(response.statusCode).toBe(200);
      const job = response.json();
      expect(job).toMatchObject({ status: 'completed', ensemble: { name: 'small-mlp', version } });
      expect(job.result.members.shape).toEqual([3, 5, 4]);
      expectClose(job.result.members.data, expected.data);
      const combined = combineMembers(expected, { mode: combine, ...(combine === 'weighted' ? { weights: [1, 2, 3] } : {}) });
      if (combined.kind === 'members') expect(job.result.combined).toBeUndefined();
      else if (combined.kind === 'classes') expect(job.result.combined.data).toEqual(Array.from(combined.classes.data));
      else expectClose(job.result.combined.data, combined.tensor.data);
      expect(job.timings.computeMs).toBeGreaterThanOrEqual(0);
    }
  });

  it('takes the input as a safetensors body with the options as query parameters', async () => {
    const input = randomInput([3, 5, 6], 21);
    const response = await app.inject({
      method: 'POST',
      url: '/v1/ensembles/small-mlp/predictions?mode=per-member&combine=weighted&weights=1,1,2&uncertainty=true',
      headers: { 'content-type': 'application/octet-stream', prefer: 'wait=10' },
      payload: Buffer.from(writeSafetensors([float32Tensor('input', input.shape, input.data)])),
    });
    expect(response.statusCode).toBe(200);
    const job = response.json();
    const expected = await local.run(input, { mode: 'per-member' });
    expectClose(job.result.members.data, expected.data);
    expect(job.result.predictiveEntropy.shape).toEqual([5]);
    const wrong = await app.inject({
      method: 'POST',
      url: '/v1/ensembles/small-mlp/predictions',
      headers: { 'content-type': 'application/octet-stream' },
      payload: Buffer.from(writeSafetensors([float32Tensor('x', [1, 6], new Float32Array(6))])),
    });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().error.message).toBe('the safetensors body has no tensor named "input"');
  });

  it('answers a safetensors request with the stored result file when asked for octet-stream', async () => {
    const input = randomInput([3, 6], 8);
    const response = await app.inject({
      method: 'POST',
      url: '/v1/ensembles/small-mlp/predictions?combine=mean',
      headers: { 'content-type': 'application/octet-stream', accept: 'application/octet-stream', prefer: 'wait=10' },
      payload: Buffer.from(writeSafetensors([float32Tensor('input', input.shape, input.data)])),
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/octet-stream');
    const file = readSafetensors(response.rawPayload);
    const expected = await local.run(input, { mode: 'shared' });
    expectClose(Array.from(toFloat32(file.tensors.get('members') as SafetensorsTensor)), expected.data);
    expect(file.tensors.get('combined')?.shape).toEqual([3, 4]);
    const summary = predictionJobResultSchema.parse(JSON.parse(file.metadata[RESULT_SUMMARY_METADATA] as string));
    expect(summary.tensors).toEqual({ members: [3, 3, 4], combined: [3, 4] });
    expect(response.headers.location).toMatch(/^\/v1\/jobs\//);
  });

  it('answers 202 at once without Prefer, and the job can be polled until it completes', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/ensembles/small-mlp/predictions',
      payload: { input: { shape: [1, 6], data: [1, 2, 3, 4, 5, 6] }, uncertainty: true },
    });
    expect(response.statusCode).toBe(202);
    const { id, url } = response.json();
    expect(url).toBe(`/v1/jobs/${id}`);
    expect(response.headers.location).toBe(url);
    let job = response.json();
    for (let i = 0; i < 200 && job.status !== 'completed'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      job = (await app.inject({ method: 'GET', url })).json();
    }
    expect(job.status).toBe('completed');
    expect(Object.keys(job.result).sort()).toEqual([
      'disagreement',
      'expectedEntropy',
      'members',
      'mutualInformation',
      'predictiveEntropy',
    ]);
  });

  it('returns the same job for a retried submission with the same Idempotency-Key, and refuses to cancel a finished job', async () => {
    const submit = (key: string) =>
      app.inject({
        method: 'POST',
        url: '/v1/ensembles/small-mlp/predictions',
        headers: { 'idempotency-key': key, prefer: 'wait=10' },
        payload: { input: { shape: [1, 6], data: [6, 5, 4, 3, 2, 1] } },
      });
    const first = (await submit('order-17')).json();
    const retry = (await submit('order-17')).json();
    const other = (await submit('order-18')).json();
    expect(retry.id).toBe(first.id);
    expect(other.id).not.toBe(first.id);
    const cancel = await app.inject({ method: 'DELETE', url: first.url });
    expect(cancel.statusCode).toBe(409);
    expect(cancel.json().error.code).toBe('JOB_FINISHED');
  });

  it.each([
    [
      'an input of the wrong shape',
      { input: { shape: [2, 5], data: Array(10).fill(0) } },
      400,
      "input shape [2, 5] does not match the manifest's [*, 6]",
    ],
    ['data that does not fill the shape', { input: { shape: [2, 6], data: [1, 2] } }, 400, 'input of shape [2, 6] needs 12 values, got 2'],
    [
      'a per-member input with the wrong member count',
      { input: { shape: [2, 1, 6], data: Array(12).fill(0) }, mode: 'per-member' },
      400,
      '[3, *, 6]',
    ],
    ['an unknown combine mode', { input: { shape: [1, 6], data: Array(6).fill(0) }, combine: 'median' }, 400, 'body.combine'],
    [
      'weights for the wrong member count',
      { input: { shape: [1, 6], data: Array(6).fill(0) }, combine: 'weighted', weights: [1] },
      400,
      'weighted combine needs 3 weights (one per member), got 1',
    ],
  ])('refuses %s', async (_what, payload, status, message) => {
    const response = await app.inject({ method: 'POST', url: '/v1/ensembles/small-mlp/predictions', payload });
    expect(response.statusCode).toBe(status);
    expect(JSON.stringify(response.json())).toContain(message);
  });

  it('streams the status changes of a job as server-sent events until it completes', async () => {
    const submitted = await app.inject({
      method: 'POST',
      url: '/v1/ensembles/small-mlp/predictions',
      payload: { input: { shape: [2, 6], data: Array(12).fill(0.25) }, combine: 'mean' },
    });
    const events = await app.inject({ method: 'GET', url: `${submitted.json().url}/events` });
    expect(events.headers['content-type']).toBe('text/event-stream');
    const statuses = events.body
      .split('\n\n')
      .filter((block) => block.startsWith('event: status'))
      .map((block) => JSON.parse(block.split('\ndata: ')[1] as string).status);
    expect(statuses.at(-1)).toBe('completed');
    expect(new Set(statuses).size).toBe(statuses.length);
    expect((await app.inject({ method: 'GET', url: '/v1/jobs/5b0f5a52-4a51-4d6b-9d0e-3a1f0c7e2f11/events' })).statusCode).toBe(404);
  });

  it('answers the Open Inference Protocol: metadata, readiness and a synchronous infer', async () => {
    const metadata = (await app.inject({ method: 'GET', url: '/v2/models/small-mlp' })).json();
    expect(metadata).toMatchObject({
      name: 'small-mlp',
      versions: [version],
      inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 6] }],
    });
    expect((await app.inject({ method: 'GET', url: '/v2/models/small-mlp/ready' })).statusCode).toBe(200);
    const input = randomInput([2, 6], 3);
    const response = await app.inject({
      method: 'POST',
      url: '/v2/models/small-mlp/infer',
      payload: {
        id: 'req-1',
        inputs: [{ name: 'input', shape: [2, 6], datatype: 'FP32', data: Array.from(input.data) }],
        parameters: { combine: 'vote' },
      },
    });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({ id: 'req-1', model_name: 'small-mlp', model_version: version });
    const expected = await local.run(input, { mode: 'shared' });
    const members = body.outputs.find((o: { name: string }) => o.name === 'members');
    expectClose(members.data, expected.data);
    const combined = body.outputs.find((o: { name: string }) => o.name === 'combined');
    expect(combined).toMatchObject({ datatype: 'INT64', shape: [2] });
    const missing = await app.inject({
      method: 'POST',
      url: '/v2/models/nope/infer',
      payload: { inputs: [{ name: 'input', shape: [1, 6], datatype: 'FP32', data: Array(6).fill(0) }] },
    });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ error: 'no ensemble named nope' });
  });

  it('exposes Prometheus metrics, job timings counted by the worker alone, and the queue dashboard', async () => {
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.statusCode).toBe(200);
    for (const name of ['http_requests_total', 'http_request_duration_seconds', 'queue_jobs', 'workers_live', 'worker_cache_events']) {
      expect(metrics.body).toContain(`# TYPE ${name} `);
    }
    expect(metrics.body).toMatch(/queue_jobs\{state="completed"\} [1-9]/);
    expect(metrics.body).toMatch(/workers_live 1/);
    // An API process does not count jobs: the worker that ran them does, once.
    expect(metrics.body).not.toContain('job_compute_seconds');
    const worker = await api.worker?.metrics.registry.metrics();
    for (const name of ['job_queue_seconds', 'job_compute_seconds', 'job_batch_rows', 'job_batch_jobs', 'jobs_finished_total']) {
      expect(worker).toContain(`# TYPE ${name} `);
    }
    expect(worker).toMatch(/job_compute_seconds_count\{ensemble="[^"]+"\} [1-9]/);
    expect(worker).toMatch(/jobs_finished_total\{ensemble="[^"]+",status="completed"\} [1-9]/);
    const dashboard = await app.inject({ method: 'GET', url: '/admin/queues' });
    expect(dashboard.statusCode).toBe(200);
    expect(dashboard.headers['content-type']).toContain('text/html');
  });

  it('lists the live workers, as they announce themselves', async () => {
    const { workers } = (await app.inject({ method: 'GET', url: '/v1/workers' })).json();
    expect(workers).toHaveLength(1);
    expect(workers[0]).toMatchObject({ id: api.worker?.id, pid: process.pid, engine: 'onnx', backend: 'cpu', threads: 1 });
    expect(workers[0].versions).toEqual(expect.arrayContaining([version]));
  });

  it('serves an OpenAPI document generated from the route schemas, and a docs page', async () => {
    const response = await app.inject({ method: 'GET', url: '/openapi.json' });
    expect(response.statusCode).toBe(200);
    const document = response.json();
    expect(document.openapi).toMatch(/^3\./);
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(['/v1/ensembles', '/v1/ensembles/{name}', '/v1/ensembles/{name}/predictions', '/v1/jobs/{id}']),
    );
    const body = document.paths['/v1/ensembles/{name}/predictions'].post.requestBody.content['application/json'].schema;
    expect(Object.keys(body.properties)).toEqual(
      expect.arrayContaining(['input', 'mode', 'combine', 'weights', 'uncertainty', 'priority']),
    );
    expect((await app.inject({ method: 'GET', url: '/docs' })).statusCode).toBeLessThan(400);
  });

  it('answers 404 for unknown ensembles and jobs, and refuses a bad upload naming the problem', async () => {
    expect(
      (
        await app.inject({
          method: 'POST',
          url: '/v1/ensembles/nope/predictions',
          payload: { input: { shape: [1, 6], data: Array(6).fill(0) } },
        })
      ).statusCode,
    ).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/v1/jobs/5b0f5a52-4a51-4d6b-9d0e-3a1f0c7e2f11' })).statusCode).toBe(404);
    const bad = await upload([
      { name: 'manifest', content: JSON.stringify({ ...manifest, layers: [{ op: 'linear', name: 'fc1', in: 5, out: 8 }] }) },
      { name: 'weights', filename: 'stacked.safetensors', content: stackedFile },
    ]);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('MANIFEST_INVALID');
    expect(bad.json().error.issues[0]).toEqual({ path: 'layers[0]', message: 'linear expects 5 input features but receives [6]' });
  });
});
