/**
 * A prediction job as the API shows it (`GET /v1/jobs/{id}`, a submission's
 * answer, each event of its stream): its status, ensemble, timings and, once
 * completed, its result tensors.
 */
import { z } from 'zod';
import { resultTensorJsonSchema } from './tensor-json.js';

export const jobStatuses = ['queued', 'active', 'completed', 'failed'] as const;
export type JobStatus = (typeof jobStatuses)[number];

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
  result: z.record(z.string(), resultTensorJsonSchema).optional(),
  error: z.string().optional(),
});
export type JobView = z.infer<typeof jobViewSchema>;
