/**
 * A prediction job as the API shows it (`JobView`, `@ensembles/protocol`):
 * its status, ensemble, timings and, once completed, its result tensors
 * (from the job's return value when they travelled inline, else read back
 * from Redis).
 */
import { readPredictionResult } from '@ensembles/core';
import {
  type CompletedJob,
  decodeInlineResult,
  type PredictionJobData,
  type PredictionJobResult,
  predictionJobResultSchema,
} from '@ensembles/jobs';
import type { JobStatus, JobView, ResultTensorJson } from '@ensembles/protocol';
import type { Job } from 'bullmq';
import type { AppContext } from './app-context.js';
import { tensorToJson } from './tensor-json.js';

function statusOf(state: string): JobStatus {
  if (state === 'active' || state === 'completed' || state === 'failed') return state;
  return 'queued';
}

/** `json`: a completed job's view carries its result tensors; `file`: its result file (`resultFile`) instead; `none`: neither. */
export type ResultForm = 'json' | 'file' | 'none';

/** A view, with the result file when asked for in the `file` form (never part of a JSON answer). */
export type JobViewWithFile = JobView & { resultFile?: Buffer };

export interface JobViewOptions {
  /** The job is known to have finished (its wait said so): read it again for its outcome at once. */
  readonly finished?: boolean;
  /** The completed job as its notice carried it: nothing to read. */
  readonly noticed?: CompletedJob | undefined;
  readonly result?: ResultForm;
}

/** A job just added: queued, nothing to read. */
export function queuedView(job: Job<PredictionJobData>): JobView {
  const id = job.id as string;
  return { id, url: `/v1/jobs/${id}`, status: 'queued', ensemble: { name: job.data.ensemble, version: job.data.version }, timings: {} };
}

export async function jobView(
  context: AppContext,
  fetched: Job<PredictionJobData>,
  options: JobViewOptions = {},
): Promise<JobViewWithFile> {
  const id = fetched.id as string;
  const form = options.result ?? 'json';
  // Its notice carried it: the view is made of that. Known to have finished:
  // the job is read again at once, and says how it finished. Otherwise the
  // state is read first; if the job finished in between, it is read again
  // for its outcome.
  if (options.noticed?.id === id) {
    return describeJob(context, { ...options.noticed, data: fetched.data, queueName: fetched.queueName }, 'completed', form);
  }
  if (options.finished) {
    const refetched = (await context.queues.queueOf(fetched).getJob(id)) as Job<PredictionJobData> | undefined;
    if (refetched?.finishedOn) return describeJob(context, refetched, refetched.returnvalue ? 'completed' : 'failed', form);
  }
  const status = statusOf(await fetched.getState());
  const finished = status === 'completed' || status === 'failed';
  const job = finished ? (((await context.queues.queueOf(fetched).getJob(id)) as Job<PredictionJobData> | undefined) ?? fetched) : fetched;
  return describeJob(context, job, status, form);
}

/** A completed job's result file: inline in its return value, or stored under its key on its shard (null once expired). */
async function resultFile(context: AppContext, job: ShownJob, summary: PredictionJobResult): Promise<Buffer | null> {
  if (summary.inlineResult !== undefined) return decodeInlineResult(summary.inlineResult);
  return context.redis.getBuffer(context.queues.shardOf(job).jobResult(job.id as string));
}

/** What a view is made of: a job as BullMQ reads it, or a completed one as its notice carried it. */
type ShownJob = Pick<Job<PredictionJobData>, 'data' | 'timestamp' | 'processedOn' | 'returnvalue' | 'queueName'> & {
  readonly id?: string | undefined;
  readonly failedReason?: string | undefined;
};

async function describeJob(context: AppContext, job: ShownJob, status: JobView['status'], form: ResultForm): Promise<JobViewWithFile> {
  const id = job.id as string;
  const view: JobViewWithFile = {
    id,
    url: `/v1/jobs/${id}`,
    status,
    ensemble: { name: job.data.ensemble, version: job.data.version },
    timings: job.processedOn ? { queuedMs: job.processedOn - job.timestamp } : {},
  };
  if (status === 'failed') view.error = job.failedReason;
  if (status !== 'completed') return view;
  const summary = predictionJobResultSchema.parse(job.returnvalue);
  view.timings = {
    ...view.timings,
    computeMs: summary.computeMs,
    totalMs: summary.completedAt - job.timestamp,
    batchJobs: summary.batchJobs,
    batchRows: summary.batchRows,
  };
  view.worker = summary.worker;
  if (form === 'none') return view;
  const stored = await resultFile(context, job, summary);
  if (!stored) {
    view.error = 'the result has expired';
    return view;
  }
  if (form === 'file') {
    view.resultFile = stored;
    return view;
  }
  const result: Record<string, ResultTensorJson> = {};
  for (const [name, tensor] of Object.entries(readPredictionResult(stored).tensors)) {
    result[name] = tensorToJson(tensor.shape, tensor.data);
  }
  view.result = result;
  return view;
}
