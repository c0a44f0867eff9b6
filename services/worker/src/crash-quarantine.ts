/**
 * Keeps a job that may crash its worker from taking other jobs down with it.
 * A job that was active in workers that died (BullMQ found it stalled) may be
 * what killed them; BullMQ fails it once it has stalled more than
 * `maxStalledCount` times. On its last chance it is a suspect, and runs in
 * this process alone: the worker stops taking jobs, lets the ones it holds
 * finish, runs the suspect, then goes on; jobs that arrive meanwhile are put
 * back in the queue for a moment rather than held here. So a job that kills
 * every worker it meets ends failed alone, and no other job reaches its limit
 * through it. Before their last chance, retaken jobs run as usual (a worker
 * killed once costs no throughput). A process that takes jobs from several
 * queue shards (one BullMQ worker each) pauses the other shards' workers
 * while a suspect runs, so that none of them holds a job meanwhile.
 */
import { DelayedError, type Job, type Worker } from 'bullmq';

export class CrashQuarantine {
  /** Jobs running here (not counting those put back). */
  private running = 0;
  /** Set while a suspect waits for this process to empty, or runs. */
  private suspect: Job | undefined;
  private emptied: (() => void) | undefined;

  constructor(
    /** The worker's `maxStalledCount`: a job that has stalled this many times (at least once) is a suspect. */
    private readonly maxStalledCount: number,
    /** How long a job put back waits before a worker may take it again. */
    private readonly putBackMs = 200,
  ) {}

  /**
   * Wraps a processor; `worker` is the BullMQ worker that runs it (its
   * concurrency is lowered while a suspect runs), `others` the process' other
   * workers (paused while a suspect runs).
   */
  wrap<T>(
    process: (job: Job, token?: string) => Promise<T>,
    worker: () => Worker,
    others: () => readonly Worker[] = () => [],
  ): (job: Job, token?: string) => Promise<T> {
    return async (job, token) => {
      const stalled = job.stalledCounter ?? 0;
      const suspect = stalled > 0 && stalled >= this.maxStalledCount;
      if (this.suspect) return this.putBack(job, token);
      if (!suspect) return this.track(() => process(job, token));
      this.suspect = job;
      const concurrency = worker().concurrency;
      worker().concurrency = 1;
      const paused = others().filter((other) => !other.isPaused());
      try {
        await Promise.all(paused.map((other) => other.pause(true)));
        if (this.running > 0) await new Promise<void>((resolve) => (this.emptied = resolve));
        return await this.track(() => process(job, token));
      } finally {
        this.suspect = undefined;
        worker().concurrency = concurrency;
        for (const other of paused) {
          if (!other.closing) Promise.resolve(other.resume()).catch((error: unknown) => other.emit('error', error as Error));
        }
      }
    };
  }

  private async track<T>(run: () => Promise<T>): Promise<T> {
    this.running++;
    try {
      return await run();
    } finally {
      this.running--;
      if (this.running === 0) {
        this.emptied?.();
        this.emptied = undefined;
      }
    }
  }

  private async putBack(job: Job, token: string | undefined): Promise<never> {
    await job.moveToDelayed(Date.now() + this.putBackMs, token);
    throw new DelayedError();
  }
}
