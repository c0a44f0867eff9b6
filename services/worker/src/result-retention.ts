/**
 * Keeps a queue shard's newest results (its share of `RESULT_KEEP_JOBS`) and
 * forgets the rest, so that Redis' memory stays bounded at any job rate
 * (BullMQ drops the completed jobs themselves by the same count). Results also expire by their TTL; the
 * index of results forgets those too. Several workers may trim at once:
 * deleting what is already gone is harmless.
 */
import type { RedisClient, ShardKeys } from '@ensembles/jobs';

const CHUNK = 1000;

export class ResultRetention {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Pick<ShardKeys, 'results' | 'jobResult'>,
    private readonly settings: { readonly keep: number; readonly ttlSeconds: number },
    private readonly intervalMs = 1000,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.trim().catch(() => undefined), this.intervalMs); // Redis away: the next round tries again
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Forgets the results beyond the newest `keep`, and the expired ones; returns how many it forgot. */
  async trim(): Promise<number> {
    const { results, jobResult } = this.keys;
    let forgotten = await this.redis.zremrangebyscore(results, 0, Date.now() - this.settings.ttlSeconds * 1000);
    const excess = (await this.redis.zcard(results)) - this.settings.keep;
    if (excess <= 0) return forgotten;
    const oldest = await this.redis.zrange(results, 0, excess - 1);
    for (let i = 0; i < oldest.length; i += CHUNK) {
      const ids = oldest.slice(i, i + CHUNK);
      await this.redis
        .multi()
        .del(...ids.map((id) => jobResult(id)))
        .zrem(results, ...ids)
        .exec();
      forgotten += ids.length;
    }
    return forgotten;
  }
}
