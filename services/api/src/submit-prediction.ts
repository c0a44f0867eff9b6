/**
 * Submitting a prediction, for every face of the API (the REST routes and
 * the Open Inference Protocol): checks the input and options against the
 * ensemble, stores the input in Redis as binary, queues the job (once per
 * idempotency key), and optionally waits for it.
 */
import { randomUUID } from 'node:crypto';
import { checkInput, float32Tensor, type Tensor, writeSafetensors } from '@ensembles/core';
import { PREDICTION_QUEUE, type PredictionJobData, type PredictionOptions } from '@ensembles/jobs';
import { Job } from 'bullmq';
import type { AppContext } from './app-context.js';
import { HttpError } from './http-errors.js';
import { type JobView, jobView } from './job-view.js';

export interface PredictionRequest {
  readonly tenant: string;
  /** `name` or `name@version`. */
  readonly ensemble: string;
  readonly input: Tensor;
  readonly options: PredictionOptions;
  readonly idempotencyKey?: string | undefined;
}

export async function submitPrediction(context: AppContext, request: PredictionRequest): Promise<Job<PredictionJobData>> {
  const { redis, keys, queue, config } = context;
  const { tenant, input, options } = request;
  const ensemble = await context.registry.resolve(tenant, request.ensemble);
  checkInput(ensemble.architecture, input, options.mode);
  const { members } = ensemble.architecture.manifest;
  if (options.combine === 'weighted' && options.weights?.length !== members) {
    throw new HttpError(
      400,
      'COMBINE_INVALID',
      `weighted combine needs ${members} weights (one per member), got ${options.weights?.length ?? 0}`,
    );
  }
  if (options.combine !== 'weighted' && options.weights)
    throw new HttpError(400, 'COMBINE_INVALID', 'weights apply only to combine "weighted"');

  const waiting = await queue.getJobCountByTypes('waiting', 'prioritized', 'delayed');
  if (waiting >= config.MAX_WAITING_JOBS) {
    throw new HttpError(429, 'QUEUE_FULL', `${waiting} jobs are waiting, the most this service queues; retry shortly`, {
      'retry-after': '1',
    });
  }

  const ttl = config.RESULT_TTL_SECONDS;
  let id: string = randomUUID();
  if (request.idempotencyKey) {
    // The first submission with this key claims it; retries get its job back.
    const claimed = await redis.set(keys.idempotency(tenant, request.idempotencyKey), id, 'EX', ttl, 'NX');
    if (claimed === null) id = (await redis.get(keys.idempotency(tenant, request.idempotencyKey))) ?? id;
  }
  const existing = (await Job.fromId(queue, id)) as Job<PredictionJobData> | undefined;
  if (existing) return existing;
  await redis.set(keys.jobInput(id), Buffer.from(writeSafetensors([float32Tensor('input', input.shape, input.data)])), 'EX', ttl);
  const data: PredictionJobData = {
    tenant,
    ensemble: ensemble.name,
    version: ensemble.version,
    options,
    inputShape: [...input.shape],
    submittedAt: Date.now(),
  };
  return (await queue.add(PREDICTION_QUEUE, data, {
    jobId: id,
    attempts: config.JOB_ATTEMPTS,
    backoff: { type: 'exponential', delay: 200 },
    removeOnComplete: { age: ttl },
    removeOnFail: { age: ttl },
    ...(options.priority ? { priority: options.priority } : {}),
  })) as Job<PredictionJobData>;
}

/** The job's view after waiting up to `seconds` for it to finish (0: at once). */
export async function awaitJob(context: AppContext, job: Job<PredictionJobData>, seconds: number): Promise<JobView> {
  if (seconds > 0) {
    try {
      await job.waitUntilFinished(context.queueEvents, seconds * 1000);
    } catch {
      // failed, or not ready in time: the view says which
    }
  }
  // jobView reads the state afresh, and the job again once it has finished.
  return jobView(context, job);
}
