/**
 * `Idempotency-Key` end to end: the same request under a key gets the same
 * job (in either body form), a different one is refused with 422
 * `IDEMPOTENCY_KEY_REUSED` naming the key and what differs, never answered
 * with the other request's job, even when both arrive at once.
 */
import { float32Tensor, writeSafetensors } from '@ensembles/core';
import { errorBodySchema } from '@ensembles/protocol';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { multipartBody } from './testing/multipart.js';
import { startTestApi, type TestApi } from './testing/test-api.js';
import { tinyManifest, tinyUpload, tinyWeights } from './testing/tiny-ensemble.js';

let app: FastifyInstance;
let api: TestApi;

beforeAll(async () => {
  api = await startTestApi({ REDIS_PREFIX: 'idempotencytest' }, { withWorker: true });
  app = api.app;
  for (const { payload, headers } of [
    tinyUpload(),
    // The same weights under another name: a request for it is a different request.
    multipartBody([
      { name: 'manifest', content: JSON.stringify({ ...tinyManifest, name: 'tiny-twin' }) },
      { name: 'weights', filename: 'tiny.safetensors', content: tinyWeights },
    ]),
  ]) {
    expect((await app.inject({ method: 'POST', url: '/v1/ensembles', payload, headers })).statusCode).toBe(201);
  }
});

afterAll(() => api?.stop());

const input = { shape: [2, 3], data: [0.5, -1, 2, 3, 0.25, -0.75] };

function submitJson(key: string, body: object, ensemble = 'tiny', prefer = 'wait=10') {
  return app.inject({
    method: 'POST',
    url: `/v1/ensembles/${ensemble}/predictions`,
    headers: { 'idempotency-key': key, prefer },
    payload: body,
  });
}

function submitSafetensors(key: string, data: number[], query: string) {
  return app.inject({
    method: 'POST',
    url: `/v1/ensembles/tiny/predictions?${query}`,
    headers: { 'idempotency-key': key, 'content-type': 'application/octet-stream', prefer: 'wait=10' },
    payload: Buffer.from(writeSafetensors([float32Tensor('input', input.shape, Float32Array.from(data))])),
  });
}

function expectReused(response: Awaited<ReturnType<typeof submitJson>>, key: string, jobId: string, differs: string): void {
  expect(response.statusCode).toBe(422);
  const body = errorBodySchema.parse(response.json());
  expect(body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
  expect(body.error.message).toContain(`Idempotency-Key "${key}" was used for another request (job ${jobId}) with ${differs}`);
}

describe('Idempotency-Key', () => {
  it('returns the same job for the same request, and refuses the key with other options', async () => {
    const first = await submitJson('trial-1', { input, combine: 'mean-softmax' });
    expect(first.statusCode).toBe(200);
    const job = first.json();
    expect(job.status).toBe('completed');

    const retry = await submitJson('trial-1', { input, combine: 'mean-softmax' });
    expect(retry.statusCode).toBe(200);
    expect(retry.json().id).toBe(job.id);

    // The trial's finding: a vote under the same key came back with the mean-softmax result.
    const vote = await submitJson('trial-1', { input, combine: 'vote' });
    expectReused(vote, 'trial-1', job.id, 'different options');
    // Defaults count as given: `mode: "shared"` is the request that left it out.
    expect((await submitJson('trial-1', { input, combine: 'mean-softmax', mode: 'shared' })).json().id).toBe(job.id);
  });

  it('refuses the key with another input or another ensemble, naming what differs', async () => {
    const job = (await submitJson('trial-2', { input })).json();
    expectReused(
      await submitJson('trial-2', { input: { ...input, data: [...input.data.slice(0, 5), 1] } }),
      'trial-2',
      job.id,
      'a different input',
    );
    expectReused(
      await submitJson('trial-2', { input: { shape: [3, 3], data: [...input.data, 1, 2, 3] } }),
      'trial-2',
      job.id,
      'a different input',
    );
    expectReused(await submitJson('trial-2', { input }, 'tiny-twin'), 'trial-2', job.id, 'a different ensemble');
    expectReused(
      await submitJson('trial-2', { input: { shape: [1, 3], data: [1, 2, 3] }, combine: 'mean' }),
      'trial-2',
      job.id,
      'different options, a different input (shape or values)',
    );
  });

  it('treats the JSON and the safetensors forms of one request as the same request', async () => {
    const job = (await submitJson('trial-3', { input, combine: 'mean', uncertainty: true })).json();
    const binary = await submitSafetensors('trial-3', input.data, 'combine=mean&uncertainty=true');
    expect(binary.statusCode).toBe(200);
    expect(binary.json().id).toBe(job.id);
    expectReused(
      await submitSafetensors(
        'trial-3',
        input.data.map((x) => x * 2),
        'combine=mean&uncertainty=true',
      ),
      'trial-3',
      job.id,
      'a different input',
    );
    expectReused(await submitSafetensors('trial-3', input.data, 'combine=mean'), 'trial-3', job.id, 'different options');
  });

  it('gives one of two different requests arriving at once the key, and refuses the other', async () => {
    const [a, b] = await Promise.all([
      submitJson('trial-4', { input, combine: 'mean' }, 'tiny', 'wait=0'),
      submitJson('trial-4', { input, combine: 'vote' }, 'tiny', 'wait=0'),
    ]);
    const statuses = [a.statusCode, b.statusCode].sort();
    expect(statuses).toEqual([202, 422]);
    const [same1, same2] = await Promise.all([
      submitJson('trial-5', { input }, 'tiny', 'wait=0'),
      submitJson('trial-5', { input }, 'tiny', 'wait=0'),
    ]);
    expect(same1.json().id).toBe(same2.json().id);
  });

  it('returns the job of a key claimed before requests were recorded (a bare job id) to any request', async () => {
    const job = (await submitJson('trial-8', { input })).json();
    await api.context.redis.set(api.context.keys.idempotency('default', 'legacy'), job.id, 'EX', 60);
    const response = await submitJson('legacy', { input, combine: 'vote' });
    expect(response.statusCode).toBe(200);
    expect(response.json().id).toBe(job.id);
  });
});
