/**
 * Submitting a prediction, for every face of the API (the REST routes and
 * the Open Inference Protocol): checks the input and options against the
 * ensemble, puts the input in the job (or, when large, beside it in Redis as
 * binary), queues the job (once per idempotency key, which a different
 * request cannot reuse: see `idempotency-key.ts`), and optionally waits
 * for it. Per submission: the ensemble's name resolved (its version's
 * description is cached), the job added (a large input stored first) to the
 * queue shard the placement rule picks (its id names the shard), and, once it
 * has finished, the job read (a large result with it). With
 * `REDIS_WAIT_REPLICAS`, the answer waits until replicas hold the job.
 */
import { checkPrediction, float32Tensor, type Tensor, writeSafetensors } from '@ensembles/core';
import {
  encodeInlineInput,
  jobIdShard,
  type PredictionJobData,
  predictionJobOptions,
  type ShardKeys,
  shardJobId,
  travelsInline,
} from '@ensembles/jobs';
import type { PredictionOptions } from '@ensembles/protocol';
import type { Job } from 'bullmq';
import type { AppContext } from './app-context.js';
import { HttpError } from './http-errors.js';
import { claimIdempotencyKey, requestDigests } from './idempotency-key.js';
import { type JobViewWithFile, jobView, queuedView, type ResultForm } from './job-view.js';

export interface PredictionRequest {
  readonly tenant: string;
  /** `name` or `name@version`. */
  readonly ensemble: string;
  readonly input: Tensor;
  /** The input as a safetensors file holding it alone, when the request came as one: stored as it is when large. */
  readonly inputFile?: Buffer | undefined;
  readonly options: PredictionOptions;
  readonly idempotencyKey?: string | undefined;
  /** Aborts when the client has gone away: a wait for the job ends then (the job stays queued). */
  readonly clientGone?: AbortSignal | undefined;
}

/**
 * Submits a prediction and waits up to `waitSeconds` for it to finish
 * (0: answers at once, the job queued). The view carries the result once
 * completed, as JSON tensors, or as the result file itself (`result: 'file'`).
 */
export async function submitPrediction(
  context: AppContext,
  request: PredictionRequest,
  waitSeconds = 0,
  result: ResultForm = 'json',
): Promise<JobViewWithFile> {
  const { redis, config } = context;
  const { tenant, input, options } = request;
  const ensemble = await context.registry.resolve(tenant, request.ensemble);
  // Whatever the job would fail on for what was asked fails here, before anything is stored.
  checkPrediction(ensemble.architecture, input, options);

  const waiting = await context.waitingJobs.current();
  if (waiting >= config.MAX_WAITING_JOBS) {
    throw new HttpError(429, 'QUEUE_FULL', `${waiting} jobs are waiting, the most this service queues; retry shortly`, {
      'retry-after': '1',
    });
  }

  const ttl = config.RESULT_TTL_SECONDS;
  let shard = context.waitingJobs.place(ensemble.version);
  let id: string = shardJobId(shard, context.queues.count);
  if (request.idempotencyKey) {
    // The first submission with this key claims it; retries of the same request get its job back, other requests a 422.
    const digests = requestDigests({ ensemble: request.ensemble, options, input });
    const claimed = await claimIdempotencyKey(redis, context.keys, {
      tenant,
      key: request.idempotencyKey,
      job: id,
      digests,
      ttlSeconds: ttl,
    });
    if (claimed !== id) {
      const existing = await context.queues.findJob<PredictionJobData>(claimed);
      if (existing) {
        await context.replicas?.replicated(context.queues.queueOf(existing).toKey(claimed), `job ${claimed}`);
        return awaitJob(context, existing, waitSeconds, result, request.clientGone);
      }
      // The earlier claim's job is gone (its submission failed, or it was cancelled): added again under its id, on its shard.
      id = claimed;
      shard = jobIdShard(id, context.queues.count) ?? shard;
    }
  }
  const queue = context.queues.queue(shard);
  const keys = context.keys.shards[shard] as ShardKeys;
  // Watch before adding: a job that finishes at once is not missed.
  const wait = waitSeconds > 0 ? context.completions.wait(id, waitSeconds * 1000, request.clientGone) : undefined;
  let job: Job<PredictionJobData>;
  try {
    // Small inputs travel inside the job; larger ones wait beside it, as binary.
    const inline = travelsInline(input.data.byteLength, config.INLINE_TENSOR_BYTES);
    if (!inline) {
      const bytes = request.inputFile ?? writeSafetensors([float32Tensor('input', input.shape, input.data)]);
      // A view of the bytes, not a copy.
      await redis.set(keys.jobInput(id), Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), 'EX', ttl);
    }
    const data: PredictionJobData = {
      tenant,
      ensemble: ensemble.name,
      version: ensemble.version,
      options,
      inputShape: [...input.shape],
      ...(inline ? { inlineInput: encodeInlineInput(input.data) } : {}),
      submittedAt: Date.now(),
      // This process hears of the job's end (for a wait now, or an event stream later).
      replyTo: context.replyTo,
    };
    job = (await queue.add(queue.name, data, {
      jobId: id,
      ...predictionJobOptions(config),
      ...(options.priority ? { priority: options.priority } : {}),
    })) as Job<PredictionJobData>;
    context.waitingJobs.added(shard);
    // Answered only once replicas hold the job, when asked (a failover then cannot lose it).
    await context.replicas?.replicated(queue.toKey(id), `job ${id}`);
  } catch (error) {
    wait?.cancel();
    throw error;
  }
  if (!wait) return queuedView(job);
  return jobView(context, job, { finished: await wait.finished, noticed: wait.job, result });
}

/** The view of an existing job after waiting up to `seconds` for it to finish (0: at once). */
async function awaitJob(
  context: AppContext,
  job: Job<PredictionJobData>,
  seconds: number,
  result: ResultForm = 'json',
  clientGone?: AbortSignal,
): Promise<JobViewWithFile> {
  if (seconds <= 0) return jobView(context, job, { result });
  const wait = context.completions.wait(job.id as string, seconds * 1000, clientGone);
  // It may have finished before the wait began: its state says so.
  const state = await job.getState();
  if (state === 'completed' || state === 'failed') {
    wait.cancel();
    return jobView(context, job, { finished: true, result });
  }
  return jobView(context, job, { finished: await wait.finished, noticed: wait.job, result });
}
