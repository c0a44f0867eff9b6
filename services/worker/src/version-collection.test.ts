/**
 * Collecting unreferenced versions against a real BullMQ queue: a version
 * whose name is gone stays while a job added by BullMQ still needs it, and
 * goes once that job has finished.
 */
import { parseManifest, randomMembers, stackFloat32Members, writeStackedEnsemble } from '@ensembles/core';
import { PREDICTION_QUEUE, type PredictionJobData, redisKeys } from '@ensembles/jobs';
import { type PrivateRedis, startPrivateRedis } from '@ensembles/redis-testing';
import { EnsembleRegistry } from '@ensembles/registry';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const manifest = { name: 'tiny', members: 2, input: { shape: [3] }, layers: [{ op: 'linear', name: 'fc', in: 3, out: 2 }] };
let server: PrivateRedis;
let redis: Redis;

beforeAll(async () => {
  server = await startPrivateRedis();
  redis = new Redis(server.url, { maxRetriesPerRequest: null });
});
afterAll(async () => {
  redis.disconnect();
  await server.stop();
});

describe('collecting unreferenced versions', () => {
  it('keeps a version while a queued job needs it, and deletes it once the job is gone', async () => {
    const keys = redisKeys('collect');
    const registry = new EnsembleRegistry(redis, { keys });
    const architecture = parseManifest(manifest);
    const { version } = await registry.register(
      't',
      manifest,
      writeStackedEnsemble(stackFloat32Members(architecture, randomMembers(architecture, 1))),
    );
    const queue = new Queue(PREDICTION_QUEUE, { connection: redis, prefix: `${keys.prefix}:bull` });
    try {
      const data: PredictionJobData = {
        tenant: 't',
        ensemble: 'tiny',
        version,
        options: { mode: 'shared', combine: 'none', uncertainty: false },
        inputShape: [1, 3],
        submittedAt: Date.now(),
      };
      const job = await queue.add(PREDICTION_QUEUE, data, { priority: 5 });
      await registry.delete('t', 'tiny');
      expect(await registry.collectUnreferenced()).toEqual([]);
      expect((await registry.loadVersion(version)).version).toBe(version);
      await job.remove();
      expect(await registry.collectUnreferenced()).toEqual([version]);
      expect(await redis.exists(keys.version(version), keys.weightsChunk(version, 0))).toBe(0);
    } finally {
      await queue.close();
    }
  });
});
