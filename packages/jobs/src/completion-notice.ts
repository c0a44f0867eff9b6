/**
 * How a worker tells the API process that submitted a job that the job has
 * finished: a message on that process' channel (`redisKeys().notifications(replyTo)`),
 * so that an API process hears of its own jobs only, whatever the number of
 * API processes. A completed job's notice carries what the API answers with
 * (its timestamps and its return value, the result inline in it) when that
 * is small, so that the API need not read the job again. Pub/Sub is at most
 * once: the API also reads the state of jobs it has waited on for a while,
 * and of every waited job after its channel reconnects, so that a lost
 * notice delays an answer, never loses it.
 */
import { z } from 'zod';
import { predictionJobResultSchema } from './prediction-job.js';

/** The outcome a notice carries: completed, or failed for good (a failure that will be retried is no notice). */
export type CompletionStatus = 'completed' | 'failed';

/** A completed job as its notice carries it: all the API needs to answer its waiting request. */
export const completedJobSchema = z
  .object({
    id: z.string().min(1),
    /** When it was added, taken by a worker, finished (ms since the epoch, as BullMQ records them). */
    timestamp: z.number(),
    processedOn: z.number(),
    finishedOn: z.number(),
    returnvalue: predictionJobResultSchema,
  })
  .strict();
export type CompletedJob = z.infer<typeof completedJobSchema>;

export interface CompletionNotice {
  readonly id: string;
  readonly status: CompletionStatus;
  /** The job itself, when it completed and is small enough to travel in the notice. */
  readonly job?: CompletedJob;
}

/** Notices whose job would be larger than this many characters name the job only: the API reads it. */
export const NOTICE_MAX_CHARS = 16 << 10;

/** `c:{id}`, `f:{id}`, or `j:{json}` (a completed job with its outcome). */
export function encodeCompletionNotice(notice: CompletionNotice): string {
  // A result inline in the job that is over the limit alone is not worth writing out first.
  if (notice.job && (notice.job.returnvalue.inlineResult?.length ?? 0) <= NOTICE_MAX_CHARS) {
    const json = JSON.stringify(notice.job);
    if (json.length <= NOTICE_MAX_CHARS) return `j:${json}`;
  }
  return `${notice.status === 'completed' ? 'c' : 'f'}:${notice.id}`;
}

/** The notice in `message`, or undefined for a message that is none. */
export function parseCompletionNotice(message: string): CompletionNotice | undefined {
  if (message.startsWith('j:')) {
    let json: unknown;
    try {
      json = JSON.parse(message.slice(2));
    } catch {
      return undefined;
    }
    const job = completedJobSchema.safeParse(json);
    return job.success ? { id: job.data.id, status: 'completed', job: job.data } : undefined;
  }
  const status = message.startsWith('c:') ? 'completed' : message.startsWith('f:') ? 'failed' : undefined;
  const id = message.slice(2);
  return status && id ? { id, status } : undefined;
}
