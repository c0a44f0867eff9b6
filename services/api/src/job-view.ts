/**
 * A prediction job as the API shows it: its status, ensemble, timings and,
 * once completed, its result tensors read back from Redis.
 */
import { readSafetensors, toFloat32 } from '@ensembles/core';
import { type PredictionJobData, predictionJobResultSchema } from '@ensembles/jobs';
import { Job } from 'bullmq';
import { z } from 'zod';
import type { AppContext } from './app-context.js';
import { type TensorJson, tensorJsonSchema, tensorToJson } from './tensor-json.js';

export const jobStatuses = ['queued', 'active', 'completed', 'failed'] as const;

export const jobViewSchema = z.object({
  id: z.string(),
  url: z.string(),
  status: z.enum(jobStatuses),
  ensemble: z.object({ name: z.string(), version: z.string() }),
  timings: z.object({
    queuedMs: z.number().optional(),
    computeMs: z.number().optional(),
    totalMs: z.number().optional(),
    batchJobs: z.number().int().optional(),
    batchRows: z.number().int().optional(),
  }),
  /** The worker that ran it (`host:pid`), once completed. */
  worker: z.string().optional(),
  result: z.record(z.string(), tensorJsonSchema).optional(),
  error: z.string().optional(),
});
export type JobView = z.infer<typeof jobViewSchema>;

function statusOf(state: string): (typeof jobStatuses)[number] {
  if (state === 'active' || state === 'completed' || state === 'failed') return state;
  return 'queued';
}

export async function jobView(context: AppContext, fetched: Job<PredictionJobData>): Promise<JobView> {
  const id = fetched.id as string;
  const status = statusOf(await fetched.getState());
  // The state is read after the job: if it finished in between, read the job again for its outcome.
  const job =
    status === 'completed' || status === 'failed'
      ? (((await Job.fromId(context.queue, id)) as Job<PredictionJobData> | undefined) ?? fetched)
      : fetched;
  const view: JobView = {
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
  const bytes = await context.redis.getBuffer(context.keys.jobResult(id));
  if (!bytes) {
    view.error = 'the result has expired';
    return view;
  }
  const result: Record<string, TensorJson> = {};
  for (const tensor of readSafetensors(bytes).tensors.values()) {
    result[tensor.name] =
      tensor.dtype === 'I64'
        ? tensorToJson(tensor.shape, new BigInt64Array(Uint8Array.from(tensor.bytes).buffer))
        : tensorToJson(tensor.shape, toFloat32(tensor));
  }
  view.result = result;
  return view;
}
