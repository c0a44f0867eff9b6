/**
 * Tells the API process that submitted a job that the job has finished, on
 * that process' own channel (the job's `replyTo`), so that no API process
 * reads the events of jobs it does not wait for. Notices of the jobs that
 * finish in one turn of the event loop (a micro-batch) go in one round trip
 * (on a cluster, one per API process: each channel is published, with sharded
 * Pub/Sub, on the node that owns its slot).
 * A notice that is lost (Redis away for a moment) only delays an answer:
 * the API reads the state of jobs it has waited on for a while.
 */
import {
  type CompletionNotice,
  encodeCompletionNotice,
  type PredictionJobResult,
  publishOn,
  type RedisClient,
  type RedisKeys,
} from '@ensembles/jobs';
import type { Job } from 'bullmq';

export class CompletionNotifier {
  private pending: [channel: string, message: string][] = [];

  constructor(
    private readonly redis: RedisClient,
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
    if (this.redis.isCluster) {
      const byChannel = new Map<string, [string, string][]>();
      for (const notice of notices) byChannel.set(notice[0], [...(byChannel.get(notice[0]) ?? []), notice]);
      for (const [channel, messages] of byChannel) {
        const sent =
          messages.length === 1
            ? publishOn(this.redis, channel, (messages[0] as [string, string])[1])
            : messages.reduce((pipeline, [, message]) => pipeline.spublish(channel, message), this.redis.pipeline()).exec();
        sent.catch(() => undefined);
      }
      return;
    }
    const sent =
      notices.length === 1
        ? this.redis.publish(...(notices[0] as [string, string]))
        : notices.reduce((pipeline, [channel, message]) => pipeline.publish(channel, message), this.redis.pipeline()).exec();
    sent.catch(() => undefined);
  }
}
