/**
 * How a prediction's tensors travel: inputs and result files up to
 * `INLINE_TENSOR_BYTES` inside their job (its data, its return value), larger
 * ones under keys of their own. Either way the caller gets the same answer,
 * as JSON and as the result file.
 */
import {
  float32Tensor,
  loadStackedEnsemble,
  OnnxEngine,
  parseManifest,
  randomInput,
  readPredictionResult,
  readSafetensors,
  writeSafetensors,
} from '@ensembles/core';
import { decodeInlineResult, type PredictionJobData, predictionJobResultSchema } from '@ensembles/jobs';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './testing/test-api.js';
import { tinyManifest, tinyUpload, tinyWeights } from './testing/tiny-ensemble.js';

const LIMIT = 1024;
let api: TestApi;

beforeAll(async () => {
  api = await startTestApi({ REDIS_PREFIX: 'transport', INLINE_TENSOR_BYTES: String(LIMIT) }, { withWorker: true });
  expect((await api.app.inject({ method: 'POST', url: '/v1/ensembles', ...tinyUpload() })).statusCode).toBe(201);
});
afterAll(async () => {
  await api?.stop();
});

async function predict(rows: number, accept?: string) {
  const input = randomInput([rows, 3], rows);
  const response = await api.app.inject({
    method: 'POST',
    url: '/v1/ensembles/tiny/predictions',
    headers: { prefer: 'wait=10', ...(accept ? { accept } : {}) },
    payload: { input: { shape: input.shape, data: Array.from(input.data) }, combine: 'mean' },
  });
  expect(response.statusCode).toBe(200);
  const id = accept ? ((response.headers.location as string).split('/').at(-1) as string) : (response.json().id as string);
  const job = await api.context.queue.getJob(id);
  return { input, response, id, data: job?.data as PredictionJobData, result: predictionJobResultSchema.parse(job?.returnvalue) };
}

/** The members' outputs the local engine computes for `input`. */
async function expected(input: ReturnType<typeof randomInput>) {
  const engine = new OnnxEngine({ threads: 1 });
  try {
    const compiled = await engine.compile(loadStackedEnsemble(parseManifest(tinyManifest), readSafetensors(tinyWeights).tensors));
    return Array.from((await compiled.run(input, { mode: 'shared' })).data);
  } finally {
    await engine.dispose();
  }
}

describe('tensors in and out of a job', () => {
  it('carries a small input and its result inside the job, nothing beside it', async () => {
    const { input, response, id, data, result } = await predict(1);
    expect(data.inlineInput).toBeDefined();
    expect(result.inlineResult).toBeDefined();
    const { keys, redis } = api.context;
    expect(await redis.exists(keys.jobInput(id), keys.jobResult(id))).toBe(0);
    const members = response.json().result.members;
    expect(members.shape).toEqual([2, 1, 2]);
    const want = await expected(input);
    for (const [i, value] of members.data.entries()) expect(value).toBeCloseTo(want[i] as number, 5);
  });

  it('stores an input and a result over the limit under their keys, and drops the input once done', async () => {
    const rows = Math.ceil(LIMIT / 12) + 1;
    const { input, response, id, data, result } = await predict(rows);
    expect(data.inlineInput).toBeUndefined();
    expect(result.inlineResult).toBeUndefined();
    const { keys, redis } = api.context;
    expect(await redis.exists(keys.jobResult(id))).toBe(1);
    expect(await redis.exists(keys.jobInput(id))).toBe(0);
    const members = response.json().result.members;
    expect(members.shape).toEqual([2, rows, 2]);
    const want = await expected(input);
    for (const [i, value] of members.data.entries()) expect(value).toBeCloseTo(want[i] as number, 5);
  });

  it('stores a large safetensors body as it came, and computes from it', async () => {
    const rows = Math.ceil(LIMIT / 12) + 1;
    const input = randomInput([rows, 3], 7);
    // Metadata of the client's own: in the stored file only if the body is stored as it came.
    const body = Buffer.from(writeSafetensors([float32Tensor('input', input.shape, input.data)], { sentBy: 'the-client' }));
    const seen: string[] = [];
    const monitor = await new Redis(api.redis.url).monitor();
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args[0]?.toLowerCase() === 'set' && args[1]?.endsWith(':input')) seen.push(args[2] ?? '');
    });
    const response = await api.app.inject({
      method: 'POST',
      url: '/v1/ensembles/tiny/predictions',
      headers: { 'content-type': 'application/octet-stream', prefer: 'wait=10' },
      payload: body,
    });
    monitor.disconnect();
    expect(response.statusCode).toBe(200);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toContain('the-client');
    const members = response.json().result.members;
    const want = await expected(input);
    for (const [i, value] of members.data.entries()) expect(value).toBeCloseTo(want[i] as number, 5);
  });

  it('answers the same result file for an inline result and a stored one', async () => {
    for (const rows of [1, Math.ceil(LIMIT / 12) + 1]) {
      const { response, id, result } = await predict(rows, 'application/octet-stream');
      expect(response.headers['content-type']).toBe('application/octet-stream');
      const stored = result.inlineResult
        ? decodeInlineResult(result.inlineResult)
        : ((await api.context.redis.getBuffer(api.context.keys.jobResult(id))) as Buffer);
      expect(Buffer.compare(response.rawPayload, stored)).toBe(0);
      expect(readPredictionResult(response.rawPayload).tensors.members.shape).toEqual([2, rows, 2]);
      expect(Object.keys(readSafetensors(response.rawPayload).metadata)).toEqual(['job']);
    }
  });
});
