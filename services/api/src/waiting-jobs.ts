/**
 * How many jobs wait in the queue, for the cap on waiting jobs, read from
 * Redis at most every `maxAgeMs` and counted up locally in between, so that
 * checking the cap does not cost a Redis call per submission. Between reads
 * it may miss jobs other API processes added (the cap is a guard, not an
 * exact count) but never those this process added.
 */
import type { Queue } from 'bullmq';

export class WaitingJobs {
  private count = 0;
  private readAt = Number.NEGATIVE_INFINITY;
  private reading: Promise<number> | undefined;

  constructor(
    private readonly queue: Queue,
    private readonly maxAgeMs = 100,
  ) {}

  async current(): Promise<number> {
    if (performance.now() - this.readAt <= this.maxAgeMs) return this.count;
    this.reading ??= this.queue.getJobCountByTypes('waiting', 'prioritized', 'delayed').then(
      (count) => {
        this.count = count;
        this.readAt = performance.now();
        this.reading = undefined;
        return count;
      },
      (error: unknown) => {
        this.reading = undefined;
        throw error;
      },
    );
    return this.reading;
  }

  /** Counts a job this process has just added. */
  added(): void {
    this.count++;
  }
}
