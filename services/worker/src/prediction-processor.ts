/**
 * What a worker does with one prediction job: read the payload and the input
 * tensor (inline in the payload, or stored beside it when large), run it
 * (micro-batched with its neighbours) on the compiled ensemble, combine the
 * members, and hand back the result file: inline in the job's return value
 * when small, so that it completes atomically with the job; else written to
 * Redis before the job completes (with the job's summary in its metadata,
 * so that a retry after a crash returns the result already written instead
 * of computing another). Errors no retry can fix fail the job at once.
 */
import { hostname } from 'node:os';
import { EnsembleError, predictionResult, readSafetensors, type Tensor, toFloat32, writeSafetensors } from '@ensembles/core';
import {
  decodeInlineInput,
  encodeInlineResult,
  inlineInputMismatch,
  type PredictionJobData,
  type PredictionJobResult,
  predictionJobDataSchema,
  predictionJobResultSchema,
  RESULT_SUMMARY_METADATA,
  type RedisClient,
  type ShardKeys,
  travelsInline,
} from '@ensembles/jobs';
import { RegistryError } from '@ensembles/registry';
import { type Job, UnrecoverableError } from 'bullmq';
import type { EnsembleCache } from './ensemble-cache.js';
import type { MicroBatcher } from './micro-batcher.js';

/** The keys of the shard whose jobs a processor runs: its jobs' stored tensors and its results index. */
export type JobKeys = Pick<ShardKeys, 'jobInput' | 'jobResult' | 'results'>;

export interface ProcessorDependencies {
  readonly redis: RedisClient;
  readonly keys: JobKeys;
  readonly cache: EnsembleCache;
  readonly batcher: MicroBatcher;
  /** How long results stay in Redis. */
  readonly resultTtlSeconds: number;
  /** Result files up to this many bytes are returned inline, with the job. */
  readonly inlineTensorBytes: number;
}

/** This process, as job results name it. */
const workerId = `${hostname()}:${process.pid}`;

/** The summary of a result already written for job `id`, if there is one. */
async function writtenResult(redis: RedisClient, keys: JobKeys, id: string): Promise<PredictionJobResult | undefined> {
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

type JobInput = { readonly input: Tensor } | { readonly done: PredictionJobResult };

/** The job's input, inline or stored; or, for a retried job whose result is already written, that result. */
async function jobInput(redis: RedisClient, keys: JobKeys, id: string, data: PredictionJobData): Promise<JobInput> {
  const { inputShape, inlineInput } = data;
  if (inlineInput !== undefined) {
    const values = decodeInlineInput(inlineInput, inputShape);
    if (!values) throw new UnrecoverableError(inlineInputMismatch(id, inputShape));
    return { input: { shape: inputShape, data: values } };
  }
  const inputBytes = await redis.getBuffer(keys.jobInput(id));
  if (!inputBytes) {
    // The input goes when the result is written: a job retried after its worker died in between is done already.
    const written = await writtenResult(redis, keys, id);
    if (written) return { done: written };
    throw new UnrecoverableError(`the input of job ${id} is no longer in Redis`);
  }
  const inputTensor = storedInput(inputBytes, id);
  if (!inputTensor || inputTensor.shape.join() !== inputShape.join()) {
    throw new UnrecoverableError(`the stored input of job ${id} does not match its payload's shape [${inputShape.join(', ')}]`);
  }
  return { input: { shape: inputTensor.shape, data: toFloat32(inputTensor) } };
}

export function predictionProcessor({ redis, keys, cache, batcher, resultTtlSeconds, inlineTensorBytes }: ProcessorDependencies) {
  return async (job: Job): Promise<PredictionJobResult> => {
    const parsed = predictionJobDataSchema.safeParse(job.data);
    if (!parsed.success)
      throw new UnrecoverableError(
        `invalid job payload: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    const { version, options } = parsed.data;
    const id = job.id as string;
    const found = await jobInput(redis, keys, id, parsed.data);
    if ('done' in found) return found.done;
    const { input } = found;

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
      const bytes = writeSafetensors(tensors, { [RESULT_SUMMARY_METADATA]: JSON.stringify(summary) });
      // Completes with the job, atomically (a stored input goes once it has: see `dropStoredInput`).
      if (travelsInline(bytes.byteLength, inlineTensorBytes)) return { ...summary, inlineResult: encodeInlineResult(bytes) };
      // Written before the job completes, with its summary; the input is no longer needed.
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

/**
 * After a job completed with its result inline: its stored input, if it had
 * one, is no longer needed. Dropped only once the job has completed, so that
 * a worker dying before that leaves the input for the retry.
 */
export function dropStoredInput(redis: RedisClient, keys: JobKeys, job: Job, result: PredictionJobResult): void {
  const data = job.data as Partial<PredictionJobData>;
  if (data.inlineInput !== undefined || result.inlineResult === undefined || job.id === undefined) return;
  redis.del(keys.jobInput(job.id)).catch(() => undefined);
}
