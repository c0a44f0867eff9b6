/**
 * Announces this worker in Redis (id, host, engine, backend, threads, the
 * versions it holds) and refreshes the announcement on a heartbeat, so that
 * the API can list the live workers; removes it on shutdown.
 */
import { hostname } from 'node:os';
import { type RedisClient, type RedisKeys, WORKER_HEARTBEAT_MS, WORKER_TTL_MS, type WorkerAnnouncement } from '@ensembles/jobs';

export class WorkerHeartbeat {
  private timer: NodeJS.Timeout | undefined;
  private readonly startedAt = Date.now();

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly describe: () => Omit<WorkerAnnouncement, 'id' | 'host' | 'pid' | 'startedAt' | 'heartbeatAt'>,
    readonly id = `${hostname()}:${process.pid}`,
  ) {}

  start(): void {
    const beat = () => this.beat().catch(() => undefined); // Redis away: the next beat tries again
    void beat();
    this.timer = setInterval(beat, WORKER_HEARTBEAT_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.redis.multi().zrem(this.keys.workers, this.id).del(this.keys.worker(this.id)).exec();
  }

  /** Announces now (e.g. after loading a version) rather than at the next beat. */
  refresh(): void {
    this.beat().catch(() => undefined);
  }

  private async beat(): Promise<void> {
    const now = Date.now();
    const announcement: WorkerAnnouncement = {
      id: this.id,
      host: hostname(),
      pid: process.pid,
      startedAt: this.startedAt,
      heartbeatAt: now,
      ...this.describe(),
    };
    await this.redis
      .multi()
      .set(this.keys.worker(this.id), JSON.stringify(announcement), 'PX', WORKER_TTL_MS)
      .zadd(this.keys.workers, now, this.id)
      .zremrangebyscore(this.keys.workers, 0, now - WORKER_TTL_MS)
      .exec();
  }
}
