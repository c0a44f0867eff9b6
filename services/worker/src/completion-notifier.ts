/**
 * Tells the API process that submitted a job that the job has finished, on
 * that process' own channel (the job's `replyTo`), so that no API process
 * reads the events of jobs it does not wait for. Notices of the jobs that
 * finish in one turn of the event loop (a micro-batch) go in one round trip.
 * A notice that is lost (Redis away for a moment) only delays an answer:
 * the API reads the state of jobs it has waited on for a while.
 */
import { type CompletionNotice, encodeCompletionNotice, type PredictionJobResult, type RedisKeys } from '@ensembles/jobs';
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';

export class CompletionNotifier {
  private pending: [channel: string, message: string][] = [];

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  /** Notifies the job's API process, if it named one, that the job completed with `result` (small ones travel in the notice). */
  completed(job: Job, result: PredictionJobResult): void {
    const { id, timestamp, processedOn, finishedOn } = job;
    const carried = id !== undefined && processedOn !== undefined && finishedOn !== undefined;
    this.notify(job, {
      id: id ?? '',
      status: 'completed',
      ...(carried ? { job: { id, timestamp, processedOn, finishedOn, returnvalue: result } } : {}),
    });
  }

  /** Notifies the job's API process, if it named one, that the job failed for good. */
  failed(job: Job): void {
    this.notify(job, { id: job.id ?? '', status: 'failed' });
  }

  private notify(job: Job, notice: CompletionNotice): void {
    const replyTo = (job.data as { replyTo?: unknown } | undefined)?.replyTo;
    if (typeof replyTo !== 'string' || job.id === undefined) return;
    this.pending.push([this.keys.notifications(replyTo), encodeCompletionNotice(notice)]);
    if (this.pending.length === 1) setImmediate(() => this.flush());
  }

  private flush(): void {
    const notices = this.pending;
    this.pending = [];
    const sent =
      notices.length === 1
        ? this.redis.publish(...(notices[0] as [string, string]))
        : notices.reduce((pipeline, [channel, message]) => pipeline.publish(channel, message), this.redis.pipeline()).exec();
    sent.catch(() => undefined);
  }
}
