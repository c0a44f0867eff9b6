/**
 * What a worker does with one prediction job: read the payload and the input
 * tensor, run it (micro-batched with its neighbours) on the compiled
 * ensemble, combine the members, and write the result tensors to Redis before
 * the job completes. Errors no retry can fix fail the job at once.
 */
import { hostname } from 'node:os';
import {
  combineMembers,
  EnsembleError,
  ensembleUncertainty,
  float32Tensor,
  int64Tensor,
  readSafetensors,
  type Tensor,
  type TensorToWrite,
  toFloat32,
  writeSafetensors,
} from '@ensembles/core';
import { type PredictionJobResult, predictionJobDataSchema, type RedisKeys } from '@ensembles/jobs';
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
    if (!inputBytes) throw new UnrecoverableError(`the input of job ${id} is no longer in Redis`);
    const inputTensor = readSafetensors(inputBytes).tensors.get('input');
    if (!inputTensor || inputTensor.shape.join() !== inputShape.join()) {
      throw new UnrecoverableError(`the stored input of job ${id} does not match its payload's shape [${inputShape.join(', ')}]`);
    }
    const input: Tensor = { shape: inputTensor.shape, data: toFloat32(inputTensor) };

    try {
      const { members, computeMs, batchJobs, batchRows, outputsAreProbabilities } = await cache.use(version, async (compiled) => ({
        ...(await batcher.run(version, compiled, options.mode, input)),
        outputsAreProbabilities: compiled.architecture.outputsAreProbabilities,
      }));
      const combined = combineMembers(members, {
        mode: options.combine,
        outputsAreProbabilities,
        ...(options.weights ? { weights: options.weights } : {}),
      });
      const tensors: TensorToWrite[] = [float32Tensor('members', members.shape, members.data)];
      if (combined.kind === 'classes') tensors.push(int64Tensor('combined', combined.classes.shape, Array.from(combined.classes.data)));
      else if (combined.kind !== 'members') tensors.push(float32Tensor('combined', combined.tensor.shape, combined.tensor.data));
      if (options.uncertainty) {
        for (const [name, value] of Object.entries(ensembleUncertainty(members, { outputsAreProbabilities }))) {
          tensors.push(float32Tensor(name, value.shape, value.data));
        }
      }
      // Written before the job completes; a retry after a crash writes the same bytes again.
      await redis.set(keys.jobResult(id), Buffer.from(writeSafetensors(tensors)), 'EX', resultTtlSeconds);
      return {
        version,
        tensors: Object.fromEntries(tensors.map((t) => [t.name, [...t.shape]])),
        computeMs,
        batchJobs,
        batchRows,
        worker: workerId,
        completedAt: Date.now(),
      };
    } catch (error) {
      // Bad input, bad combine options, an unknown version: retrying cannot help.
      const permanent = (error instanceof EnsembleError && error.code !== 'ENGINE_FAILED') || error instanceof RegistryError;
      if (permanent) throw new UnrecoverableError(error.message);
      throw error;
    }
  };
}
