/**
 * `REDIS_WAIT_REPLICAS`: a submission is answered only once that many
 * replicas hold its writes (Redis' `WAIT`), so that a failover, which
 * promotes a replica, cannot lose a job the API has acknowledged. Replication
 * is asynchronous otherwise: a primary that dies takes the writes its
 * replicas had not received yet with it.
 *
 * `WAIT` covers every write its connection sent before it, and blocks that
 * connection (every request's commands) until it returns, so one `WAIT` per
 * connection per turn of the event loop serves all the submissions whose
 * writes were sent by then. On a cluster it goes to the connection of the
 * node that holds the job's shard. Not acknowledged in time (no replica, or
 * one lagging): 503 `REDIS_NOT_REPLICATED`; the job may still run, and a
 * retry with the same `Idempotency-Key` returns it.
 */
import { connectionOfKey, type RedisClient } from '@ensembles/jobs';
import type { Redis } from 'ioredis';
import { HttpError } from './http-errors.js';

export class ReplicaWait {
  private readonly next = new Map<Redis, Promise<number>>();

  constructor(
    private readonly redis: RedisClient,
    private readonly replicas: number,
    private readonly timeoutMs: number,
  ) {}

  /**
   * Resolves once `replicas` replicas hold every write sent so far on the
   * connection of the node that holds `key` (a job's key: its shard's node).
   *
   * @throws HttpError 503 `REDIS_NOT_REPLICATED` when fewer acknowledged them within the timeout
   */
  async replicated(key: string, what: string): Promise<void> {
    const connection = connectionOfKey(this.redis, key);
    if (!connection) throw notReplicated(what, 'the node that holds it is not known yet');
    let acknowledged = this.next.get(connection);
    if (!acknowledged) {
      acknowledged = new Promise<number>((resolve, reject) =>
        setImmediate(() => {
          this.next.delete(connection);
          connection.wait(this.replicas, this.timeoutMs).then(resolve, reject);
        }),
      );
      this.next.set(connection, acknowledged);
    }
    const count = await acknowledged;
    if (count < this.replicas) {
      throw notReplicated(what, `${count} of ${this.replicas} replicas acknowledged it within ${this.timeoutMs} ms (REDIS_WAIT_REPLICAS)`);
    }
  }
}

function notReplicated(what: string, why: string): HttpError {
  return new HttpError(
    503,
    'REDIS_NOT_REPLICATED',
    `${what} was written but may not survive a Redis failover: ${why}; retry shortly with the same Idempotency-Key`,
    { 'retry-after': '1' },
  );
}
