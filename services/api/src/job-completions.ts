/**
 * Waiting for jobs to finish, for every request of this process. Workers
 * notify the API process that submitted a job (its `replyTo` channel, see
 * `@ensembles/jobs`' completion notices), so this process hears of its own
 * jobs only, however many API processes there are. Pub/Sub is at most once,
 * so the state of a job waited on for longer than `sweepMs` is read from the
 * queue (a notice lost while the channel reconnected, a job submitted by
 * another API process, a job failed by the stalled-job check), and every
 * waited job's state is read when the channel has reconnected. A wait is set
 * up before its job is added, so a job that finishes at once is not missed.
 */
import { type CompletedJob, parseCompletionNotice, type RedisClient, subscribeChannel } from '@ensembles/jobs';

export interface JobWait {
  /** True once the job has completed or failed; false when the time ran out or the wait was cancelled. */
  readonly finished: Promise<boolean>;
  /** The completed job, when its notice carried it (then it need not be read again). */
  readonly job: CompletedJob | undefined;
  cancel(): void;
}

type Settle = (finished: boolean, job?: CompletedJob) => void;

/** Which of `ids` have finished (completed, or failed for good). */
export type FinishedJobs = (ids: readonly string[]) => Promise<ReadonlySet<string>>;

export interface JobCompletionsOptions {
  /** A wait this old has its job's state read, every this often, in case its notice was lost. @defaultValue 1000 */
  readonly sweepMs?: number;
}

interface Waiting {
  /** When the first of these waits began. */
  readonly since: number;
  readonly settles: Set<Settle>;
}

export class JobCompletions {
  private readonly waiting = new Map<string, Waiting>();
  private readonly sweepMs: number;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly finishedJobs: FinishedJobs,
    options: JobCompletionsOptions = {},
  ) {
    this.sweepMs = options.sweepMs ?? 1000;
    this.timer = setInterval(() => void this.check(this.sweepMs), this.sweepMs).unref();
  }

  /** Waits up to `ms` for job `id` to finish, or until `signal` aborts (the client went away). */
  wait(id: string, ms: number, signal?: AbortSignal): JobWait {
    let settle: Settle = () => undefined;
    let job: CompletedJob | undefined;
    let settled = false;
    const abandon = () => settle(false);
    const finished = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => settle(false), ms);
      settle = (done, noticed) => {
        if (settled) return;
        settled = true;
        job = noticed;
        clearTimeout(timer);
        signal?.removeEventListener('abort', abandon);
        const waiting = this.waiting.get(id);
        waiting?.settles.delete(settle);
        if (waiting?.settles.size === 0) this.waiting.delete(id);
        resolve(done);
      };
    });
    const waiting = this.waiting.get(id) ?? { since: Date.now(), settles: new Set() };
    waiting.settles.add(settle);
    this.waiting.set(id, waiting);
    if (signal?.aborted) settle(false);
    else signal?.addEventListener('abort', abandon, { once: true });
    return {
      finished,
      get job() {
        return job;
      },
      cancel: () => settle(false),
    };
  }

  /** A message on this process' channel: finishes the waits for the job it names. */
  noticed(message: string): void {
    const notice = parseCompletionNotice(message);
    if (notice) this.settle(notice.id, notice.job);
  }

  /**
   * Reads the state of the jobs waited on for at least `minAgeMs` (0: all of
   * them, after the channel reconnected) and finishes the waits of those
   * that have finished. A failed read is tried again at the next sweep.
   */
  async check(minAgeMs = 0): Promise<void> {
    const cutoff = Date.now() - minAgeMs;
    const ids = [...this.waiting].filter(([, waiting]) => waiting.since <= cutoff).map(([id]) => id);
    if (ids.length === 0) return;
    try {
      for (const id of await this.finishedJobs(ids)) this.settle(id);
    } catch {
      // Redis is away: the next sweep reads them again.
    }
  }

  /** Requests waiting right now, for metrics and tests. */
  get size(): number {
    let total = 0;
    for (const waiting of this.waiting.values()) total += waiting.settles.size;
    return total;
  }

  close(): void {
    clearInterval(this.timer);
    for (const id of [...this.waiting.keys()]) for (const settle of [...(this.waiting.get(id)?.settles ?? [])]) settle(false);
  }

  /** Finishes every wait for job `id`. */
  private settle(id: string, job?: CompletedJob): void {
    for (const settle of [...(this.waiting.get(id)?.settles ?? [])]) settle(true, job);
  }
}

/**
 * Subscribes `subscriber` (a connection of its own: `connectSubscriber`) to
 * this process' channel and feeds its notices to `completions`; after a
 * reconnect, whatever was published meanwhile is found by reading every
 * waited job's state.
 */
export async function listenForCompletions(subscriber: RedisClient, channel: string, completions: JobCompletions): Promise<void> {
  await subscribeChannel(
    subscriber,
    channel,
    (message) => completions.noticed(message),
    () => void completions.check(0),
  );
}
