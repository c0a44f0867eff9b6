/**
 * The prediction queue's shards as the API sees them (`QUEUE_SHARDS`, one
 * BullMQ queue each, on a cluster each on a slot of its own): finding a job
 * by its id (which names its shard), reading which jobs have finished, one
 * round trip per shard, and the counts of every shard.
 */
import { jobIdShard, type RedisClient, type RedisKeys, type ShardKeys } from '@ensembles/jobs';
import { type Job, type JobType, Queue } from 'bullmq';

export class PredictionQueues {
  /** One queue per shard, in shard order. */
  readonly queues: readonly Queue[];
  private readonly byName: ReadonlyMap<string, number>;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {
    this.queues = keys.shards.map((shard) => new Queue(shard.queueName, { connection: redis, prefix: shard.queuePrefix }));
    this.byName = new Map(keys.shards.map((shard) => [shard.queueName, shard.index]));
  }

  get count(): number {
    return this.queues.length;
  }

  /** Shard `index`'s queue. */
  queue(index: number): Queue {
    const queue = this.queues[index];
    if (!queue) throw new RangeError(`no queue shard ${index} (there are ${this.queues.length})`);
    return queue;
  }

  /** The queue of the shard a job is on. */
  queueOf(job: Pick<Job, 'queueName'>): Queue {
    return this.queue(this.byName.get(job.queueName) ?? 0);
  }

  /** The keys of the shard a job is on. */
  shardOf(job: Pick<Job, 'queueName'>): ShardKeys {
    return this.keys.shards[this.byName.get(job.queueName) ?? 0] as ShardKeys;
  }

  /** A job by its id: in the shard its id names; an id that names none (or is not there) is looked for in every shard. */
  async findJob<Data>(id: string): Promise<Job<Data> | undefined> {
    const named = jobIdShard(id, this.queues.length);
    if (named !== undefined) {
      const job = (await this.queue(named).getJob(id)) as Job<Data> | undefined;
      if (job || this.queues.length === 1) return job;
    }
    const found = await Promise.all(this.queues.map((queue, index) => (index === named ? undefined : queue.getJob(id))));
    return found.find((job) => job !== undefined) as Job<Data> | undefined;
  }

  /** Which of `ids` have finished (completed, or failed for good): one pipelined read of their hashes per shard. */
  async finished(ids: readonly string[]): Promise<Set<string>> {
    const byShard = new Map<number, string[]>();
    const unknown: string[] = [];
    for (const id of ids) {
      const shard = jobIdShard(id, this.queues.length);
      if (shard === undefined) unknown.push(id);
      else byShard.set(shard, [...(byShard.get(shard) ?? []), id]);
    }
    // Ids that name no shard (from before the queue was sharded) are read in every shard.
    if (unknown.length > 0)
      for (let shard = 0; shard < this.queues.length; shard++) byShard.set(shard, [...(byShard.get(shard) ?? []), ...unknown]);
    const finished = new Set<string>();
    await Promise.all(
      [...byShard].map(async ([shard, shardIds]) => {
        const queue = this.queue(shard);
        const pipeline = this.redis.pipeline();
        for (const id of shardIds) pipeline.hget(queue.toKey(id), 'finishedOn');
        const replies = (await pipeline.exec()) ?? [];
        shardIds.forEach((id, i) => {
          if (replies[i]?.[1]) finished.add(id);
        });
      }),
    );
    return finished;
  }

  /** The counts of each state in every shard, and their sum. */
  async counts<State extends JobType>(
    states: readonly State[],
  ): Promise<{ total: Record<State, number>; shards: Record<State, number>[] }> {
    const shards = (await Promise.all(this.queues.map((queue) => queue.getJobCounts(...states)))) as Record<State, number>[];
    const total = Object.fromEntries(states.map((state) => [state, shards.reduce((sum, counts) => sum + (counts[state] ?? 0), 0)]));
    return { total: total as Record<State, number>, shards };
  }

  async close(): Promise<void> {
    await Promise.all(this.queues.map((queue) => queue.close()));
  }

  disconnect(): void {
    for (const queue of this.queues) queue.disconnect().catch(() => undefined);
  }
}
