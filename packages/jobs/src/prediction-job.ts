/**
 * A prediction job as it travels: the options a caller chooses, the payload
 * the API puts on the queue (with the input tensor inline, or beside it in
 * Redis when it is large), and the summary the worker returns (with the
 * result file inline, or beside it). Both sides parse with these schemas;
 * nothing is typed twice. The options are the API's (`@ensembles/protocol`),
 * carried as parsed.
 */
import { predictionOptionsSchema } from '@ensembles/protocol';
import { z } from 'zod';

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be a SHA-256 hex digest');
const shape = z.array(z.number().int().positive()).min(1).max(16);

/** The payload of a job on the prediction queue. */
export const predictionJobDataSchema = z
  .object({
    tenant: z.string().min(1),
    ensemble: z.string().min(1),
    version: sha256,
    options: predictionOptionsSchema,
    /** Shape of the input tensor: its values are `inlineInput`, or stored under `redisKeys().jobInput(jobId)`. */
    inputShape: shape,
    /** The input's float32 values, little-endian, base64, when they fit `INLINE_TENSOR_BYTES` (see `job-tensors.ts`). */
    inlineInput: z.string().optional(),
    submittedAt: z.number().int().nonnegative(),
    /** The API process that waits for this job (see `completion-notice.ts`); absent: nobody is told, callers poll. */
    replyTo: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,100}$/)
      .optional(),
  })
  .strict();
export type PredictionJobData = z.infer<typeof predictionJobDataSchema>;

/** What a worker returns for a job: a summary, and the result tensors inline or under `redisKeys().jobResult(jobId)` (this summary in their metadata). */
export const predictionJobResultSchema = z
  .object({
    version: sha256,
    /** Names and shapes of the tensors stored with the result (`members`, `combined`, ...). */
    tensors: z.record(z.string(), z.array(z.number().int().nonnegative()).max(16)),
    /** Milliseconds of the forward pass this job ran in, and how many jobs and rows shared it. */
    computeMs: z.number().nonnegative(),
    batchJobs: z.number().int().positive(),
    batchRows: z.number().int().positive(),
    /** The worker that ran it (`host:pid`). */
    worker: z.string(),
    completedAt: z.number().int().nonnegative(),
    /** The result file (safetensors, this summary in its metadata), base64, when it fits `INLINE_TENSOR_BYTES`; else it is stored. */
    inlineResult: z.string().optional(),
  })
  .strict();
export type PredictionJobResult = z.infer<typeof predictionJobResultSchema>;

/** The `__metadata__` entry of a stored result (safetensors) that holds its job's summary, as JSON. */
export const RESULT_SUMMARY_METADATA = 'job';

/** The settings that say how a prediction job is added: its tries and how long it stays once finished (shared by the API and the workers). */
export interface JobSettings {
  readonly JOB_ATTEMPTS: number;
  readonly RESULT_TTL_SECONDS: number;
  readonly RESULT_KEEP_JOBS: number;
  /** Shards of the prediction queue: each keeps its share of `RESULT_KEEP_JOBS`. @defaultValue 1 */
  readonly QUEUE_SHARDS?: number;
}

/** The completed jobs (and stored results) each shard keeps: `RESULT_KEEP_JOBS` split evenly over the shards. */
export function keptJobsPerShard(settings: Pick<JobSettings, 'RESULT_KEEP_JOBS' | 'QUEUE_SHARDS'>): number {
  return Math.ceil(settings.RESULT_KEEP_JOBS / (settings.QUEUE_SHARDS ?? 1));
}

/**
 * BullMQ's options for a prediction job: `JOB_ATTEMPTS` tries with
 * exponential backoff; once completed it stays for the results' TTL, but
 * only the newest `RESULT_KEEP_JOBS` (each shard its share; their results go
 * with them, see the worker's result retention); once failed, for the TTL.
 */
export function predictionJobOptions(settings: JobSettings) {
  return {
    attempts: settings.JOB_ATTEMPTS,
    backoff: { type: 'exponential', delay: 200 },
    removeOnComplete: { age: settings.RESULT_TTL_SECONDS, count: keptJobsPerShard(settings) },
    removeOnFail: { age: settings.RESULT_TTL_SECONDS },
  };
}
