import {
  float32Tensor,
  OnnxEngine,
  parseManifest,
  randomInput,
  randomMembers,
  readPredictionResult,
  readSafetensors,
  stackFloat32Members,
  writeSafetensors,
  writeStackedEnsemble,
} from '@ensembles/core';
import {
  decodeInlineResult,
  encodeInlineInput,
  type PredictionJobData,
  predictionJobResultSchema,
  RESULT_SUMMARY_METADATA,
  redisKeys,
} from '@ensembles/jobs';
import { type PrivateRedis, startPrivateRedis } from '@ensembles/redis-testing';
import { EnsembleRegistry } from '@ensembles/registry';
import type { Job } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnsembleCache } from './ensemble-cache.js';
import { MicroBatcher } from './micro-batcher.js';
import { predictionProcessor } from './prediction-processor.js';

const manifest = { name: 'tiny', members: 2, input: { shape: [4] }, layers: [{ op: 'linear', name: 'fc', in: 4, out: 3 }] };
const architecture = parseManifest(manifest);
const keys = redisKeys('processortest');
const engine = new OnnxEngine({ threads: 1 });
let server: PrivateRedis;
let redis: Redis;
let process: ReturnType<typeof predictionProcessor>;
/** The same, with the default inline limit: small inputs and results travel in the job. */
let processInline: ReturnType<typeof predictionProcessor>;
let version: string;

beforeAll(async () => {
  server = await startPrivateRedis();
  redis = new Redis(server.url);
  const registry = new EnsembleRegistry(redis, { keys });
  ({ version } = await registry.register(
    't',
    manifest,
    writeStackedEnsemble(stackFloat32Members(architecture, randomMembers(architecture, 3))),
  ));
  const cache = new EnsembleCache(registry, engine);
  process = predictionProcessor({ redis, keys, cache, batcher: new MicroBatcher(), resultTtlSeconds: 60, inlineTensorBytes: 0 });
  processInline = predictionProcessor({
    redis,
    keys,
    cache,
    batcher: new MicroBatcher(),
    resultTtlSeconds: 60,
    inlineTensorBytes: 64 << 10,
  });
});
afterAll(async () => {
  await engine.dispose();
  redis.disconnect();
  await server.stop();
});

function job(id: string, extra: Partial<PredictionJobData> = {}): Job {
  const data: PredictionJobData = {
    tenant: 't',
    ensemble: 'tiny',
    version,
    options: { mode: 'shared', combine: 'mean', uncertainty: false },
    inputShape: [2, 4],
    submittedAt: Date.now(),
    ...extra,
  };
  return { id, data } as unknown as Job;
}

async function storeInput(id: string): Promise<void> {
  const input = randomInput([2, 4], 5);
  await redis.set(keys.jobInput(id), Buffer.from(writeSafetensors([float32Tensor('input', input.shape, input.data)])));
}

describe('predictionProcessor', () => {
  it('writes the result with its summary, indexes it, and lets the input go', async () => {
    await storeInput('a');
    const summary = await process(job('a'));
    expect(summary.tensors).toEqual({ members: [2, 2, 3], combined: [2, 3] });
    const stored = readSafetensors((await redis.getBuffer(keys.jobResult('a'))) as Buffer);
    expect(predictionJobResultSchema.parse(JSON.parse(stored.metadata[RESULT_SUMMARY_METADATA] as string))).toEqual(summary);
    expect(await redis.exists(keys.jobInput('a'))).toBe(0);
    expect(await redis.zscore(keys.results, 'a')).toBe(String(summary.completedAt));
  });

  it('answers a retry of a job whose result is written with that result, computing nothing again', async () => {
    await storeInput('b');
    const first = await process(job('b'));
    const again = await process(job('b'));
    expect(again).toEqual(first);
  });

  it('reads an inline input and returns the result file inline, writing nothing to Redis', async () => {
    const input = randomInput([2, 4], 5);
    await storeInput('stored');
    const stored = await process(job('stored'));
    const inline = await processInline(job('inline', { inlineInput: encodeInlineInput(input.data) }));
    expect(await redis.exists(keys.jobResult('inline'), keys.jobInput('inline'))).toBe(0);
    expect(await redis.zscore(keys.results, 'inline')).toBeNull();
    // The same tensors as the stored result of the same input, and its own summary in the file's metadata.
    const file = readPredictionResult(decodeInlineResult(inline.inlineResult as string));
    const expected = readPredictionResult((await redis.getBuffer(keys.jobResult('stored'))) as Buffer);
    expect(file.tensors).toEqual(expected.tensors);
    const { inlineResult, ...summary } = inline;
    expect(JSON.parse(file.metadata[RESULT_SUMMARY_METADATA] as string)).toEqual(summary);
    expect(stored.inlineResult).toBeUndefined();
  });

  it('fails an inline input that does not fill its shape for good', async () => {
    const short = encodeInlineInput(new Float32Array(7));
    await expect(processInline(job('short', { inlineInput: short }))).rejects.toThrow(
      /the inline input of job short does not hold the 8 float32 values of its shape \[2, 4\]/,
    );
  });

  it('fails for good when neither the input nor a result is there', async () => {
    await expect(process(job('c'))).rejects.toThrow(/the input of job c is no longer in Redis/);
  });
});
