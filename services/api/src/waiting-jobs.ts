/**
 * How many jobs wait in the queue, per shard, for the cap on waiting jobs
 * and for placing each new job on a shard: read from Redis at most every
 * `maxAgeMs` and counted up locally in between, so that neither costs a Redis
 * call per submission. Between reads it may miss jobs other API processes
 * added (the cap is a guard, not an exact count) but never those this
 * process added.
 *
 * Placement (`QUEUE_PLACEMENT`), with more than one shard:
 * - `spread` (the default): the shard with the fewest waiting jobs, ties in
 *   turn, so that every shard (and its Redis node) takes an even share. Every
 *   worker takes jobs from every shard and merges one version's jobs into one
 *   pass whatever their shard, so micro-batching is as effective as on one queue.
 * - `version`: the version's home shard (its digest modulo the shards), so
 *   that one version's jobs meet on one shard (for workers that take from a
 *   few shards only, `WORKER_SHARDS`: they batch them and keep them compiled),
 *   unless that shard has `VERSION_SPILL_JOBS` more waiting than the least
 *   loaded one, which then takes it.
 */
import type { Queue } from 'bullmq';

export type Placement = 'spread' | 'version';

/** How many more jobs than the least loaded shard a version's home shard may have waiting before jobs spill over. */
export const VERSION_SPILL_JOBS = 64;

export class WaitingJobs {
  private readonly queues: readonly Queue[];
  private counts: number[];
  private readAt = Number.NEGATIVE_INFINITY;
  private reading: Promise<number> | undefined;
  private turn = 0;

  constructor(
    queues: Queue | readonly Queue[],
    private readonly maxAgeMs = 100,
    private readonly placement: Placement = 'spread',
  ) {
    this.queues = Array.isArray(queues) ? queues : [queues as Queue];
    this.counts = this.queues.map(() => 0);
  }

  /** The jobs waiting in every shard together. */
  async current(): Promise<number> {
    if (performance.now() - this.readAt <= this.maxAgeMs) return this.total();
    this.reading ??= Promise.all(this.queues.map((queue) => queue.getJobCountByTypes('waiting', 'prioritized', 'delayed'))).then(
      (counts) => {
        this.counts = counts;
        this.readAt = performance.now();
        this.reading = undefined;
        return this.total();
      },
      (error: unknown) => {
        this.reading = undefined;
        throw error;
      },
    );
    return this.reading;
  }

  /** The shard for a new job of `version`, by the placement rule (with the counts as last read and counted). */
  place(version: string): number {
    const n = this.counts.length;
    if (n === 1) return 0;
    const start = this.turn++ % n;
    let least = start;
    for (let k = 1; k < n; k++) {
      const i = (start + k) % n;
      if ((this.counts[i] as number) < (this.counts[least] as number)) least = i;
    }
    if (this.placement === 'version') {
      const home = Number.parseInt(version.slice(0, 8), 16) % n;
      if ((this.counts[home] as number) - (this.counts[least] as number) <= VERSION_SPILL_JOBS) return home;
    }
    return least;
  }

  /** Counts a job this process has just added (to shard `shard`). */
  added(shard = 0): void {
    this.counts[shard] = (this.counts[shard] ?? 0) + 1;
  }

  /** The waiting jobs per shard, as last read and counted. */
  perShard(): readonly number[] {
    return this.counts;
  }

  private total(): number {
    return this.counts.reduce((sum, count) => sum + count, 0);
  }
}
