/**
 * Waiting for jobs to finish, for every request of this process through one
 * listener on the queue's events (BullMQ's `waitUntilFinished` adds
 * listeners per job, which costs at many waiting requests). A wait is set
 * up before its job is added, so a job that finishes at once is not missed.
 */
import type { QueueEvents } from 'bullmq';

export interface JobWait {
  /** True once the job has completed or failed; false when the time ran out or the wait was cancelled. */
  readonly finished: Promise<boolean>;
  cancel(): void;
}

export class JobCompletions {
  private readonly waiting = new Map<string, Set<(finished: boolean) => void>>();

  constructor(queueEvents: QueueEvents) {
    const settle = ({ jobId }: { jobId: string }) => this.settle(jobId, true);
    queueEvents.on('completed', settle);
    queueEvents.on('failed', settle);
  }

  /** Waits up to `ms` for job `id` to finish, or until `signal` aborts (the client went away). */
  wait(id: string, ms: number, signal?: AbortSignal): JobWait {
    let settle: (finished: boolean) => void = () => undefined;
    const abandon = () => settle(false);
    const finished = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => settle(false), ms);
      settle = (done) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', abandon);
        const waiters = this.waiting.get(id);
        waiters?.delete(settle);
        if (waiters?.size === 0) this.waiting.delete(id);
        resolve(done);
      };
    });
    const waiters = this.waiting.get(id) ?? new Set();
    waiters.add(settle);
    this.waiting.set(id, waiters);
    if (signal?.aborted) settle(false);
    else signal?.addEventListener('abort', abandon, { once: true });
    return { finished, cancel: () => settle(false) };
  }

  /** Finishes every wait for job `id`. */
  private settle(id: string, finished: boolean): void {
    for (const settle of [...(this.waiting.get(id) ?? [])]) settle(finished);
  }

  /** Requests waiting right now, for metrics and tests. */
  get size(): number {
    let total = 0;
    for (const waiters of this.waiting.values()) total += waiters.size;
    return total;
  }
}
