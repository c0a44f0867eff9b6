/**
 * What a worker does with one prediction job: read the payload and the input
 * tensor, run it (micro-batched with its neighbours) on the compiled
 * ensemble, combine the members, and write the result tensors to Redis before
 * the job completes (with the job's summary in their metadata, so that a
 * retry after a crash returns the result already written instead of
 * computing another). Errors no retry can fix fail the job at once.
 */
import { hostname } from 'node:os';
import { EnsembleError, predictionResult, readSafetensors, type Tensor, toFloat32, writeSafetensors } from '@ensembles/core';
import {
  type PredictionJobResult,
  predictionJobDataSchema,
  predictionJobResultSchema,
  RESULT_SUMMARY_METADATA,
  type RedisKeys,
} from '@ensembles/jobs';
import { RegistryError } from '@ensembles/registry';
import { type Job, UnrecoverableError } from 'bullmq';
import type { Redis } from 'ioredis';
import type { EnsembleCache } from './ensemble-cache.js';
import type { MicroBatcher } from './micro-batcher.js';

export interface ProcessorDependencies {
  readonly redis: Redis;
  readonly keys: RedisKeys;
  readonly cache: EnsembleCache;
  readonly batcher: MicroBatcher;
  /** How long results stay in Redis. */
  readonly resultTtlSeconds: number;
}

/** This process, as job results name it. */
const workerId = `${hostname()}:${process.pid}`;

/** The summary of a result already written for job `id`, if there is one. */
async function writtenResult(redis: Redis, keys: RedisKeys, id: string): Promise<PredictionJobResult | undefined> {
  const bytes = await redis.getBuffer(keys.jobResult(id));
  const summary = bytes && readSafetensors(bytes).metadata[RESULT_SUMMARY_METADATA];
  return summary ? predictionJobResultSchema.parse(JSON.parse(summary)) : undefined;
}

/** The input tensor stored for job `id`; bytes that are no safetensors file fail the job at once (no retry reads them better). */
function storedInput(bytes: Buffer, id: string) {
  try {
    return readSafetensors(bytes).tensors.get('input');
  } catch (error) {
    throw new UnrecoverableError(`the stored input of job ${id} is unreadable: ${(error as Error).message}`);
  }
}

export function predictionProcessor({ redis, keys, cache, batcher, resultTtlSeconds }: ProcessorDependencies) {
  return async (job: Job): Promise<PredictionJobResult> => {
    const parsed = predictionJobDataSchema.safeParse(job.data);
    if (!parsed.success)
      throw new UnrecoverableError(
        `invalid job payload: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    const { version, options, inputShape } = parsed.data;
    const id = job.id as string;

    const inputBytes = await redis.getBuffer(keys.jobInput(id));
    if (!inputBytes) {
      // The input goes when the result is written: a job retried after its worker died in between is done already.
      const written = await writtenResult(redis, keys, id);
      if (written) return written;
      throw new UnrecoverableError(`the input of job ${id} is no longer in Redis`);
    }
    const inputTensor = storedInput(inputBytes, id);
    if (!inputTensor || inputTensor.shape.join() !== inputShape.join()) {
      throw new UnrecoverableError(`the stored input of job ${id} does not match its payload's shape [${inputShape.join(', ')}]`);
    }
    const input: Tensor = { shape: inputTensor.shape, data: toFloat32(inputTensor) };

    try {
      const { members, computeMs, batchJobs, batchRows, outputsAreProbabilities } = await cache.use(version, async (compiled) => ({
        ...(await batcher.run(version, compiled, options.mode, input)),
        outputsAreProbabilities: compiled.architecture.outputsAreProbabilities,
      }));
      const tensors = predictionResult(members, options, { outputsAreProbabilities });
      const summary: PredictionJobResult = {
        version,
        tensors: Object.fromEntries(tensors.map((t) => [t.name, [...t.shape]])),
        computeMs,
        batchJobs,
        batchRows,
        worker: workerId,
        completedAt: Date.now(),
      };
      // Written before the job completes, with its summary; the input is no longer needed.
      const bytes = writeSafetensors(tensors, { [RESULT_SUMMARY_METADATA]: JSON.stringify(summary) });
      const written = await redis
        .multi()
        .set(keys.jobResult(id), Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), 'EX', resultTtlSeconds)
        .zadd(keys.results, summary.completedAt, id)
        .del(keys.jobInput(id))
        .exec();
      const failure = written?.find(([error]) => error)?.[0];
      if (!written || failure) throw failure ?? new Error(`the result of job ${id} was not written`);
      return summary;
    } catch (error) {
      // Bad input, bad combine options, an unknown version: retrying cannot help.
      const permanent = (error instanceof EnsembleError && error.code !== 'ENGINE_FAILED') || error instanceof RegistryError;
      if (permanent) throw new UnrecoverableError(error.message);
      throw error;
    }
  };
}
