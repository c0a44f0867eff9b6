/**
 * The BullMQ queues of the system: the prediction queue, split into
 * `QUEUE_SHARDS` shards (1 by default), each a BullMQ queue of its own. Where
 * each shard's keys live is `redis-keys.ts`' to say; here, the names, and how
 * a job id tells its shard.
 */
import { randomUUID } from 'node:crypto';

/** Ensemble-prediction jobs: the API adds them, workers process them. Shard 0's queue name. */
export const PREDICTION_QUEUE = 'predictions';

/** The most shards the prediction queue may have: a job id carries its shard in its last byte. */
export const MAX_QUEUE_SHARDS = 256;

/** Shard `index`'s queue name: `predictions` for shard 0 (the queue of an unsharded deployment), `predictions-1`, ... */
export function shardQueueName(index: number): string {
  return index === 0 ? PREDICTION_QUEUE : `${PREDICTION_QUEUE}-${index}`;
}

/**
 * A new job id (a random UUID) for a job on shard `shard` of `shards`. With
 * more than one shard its last two hex digits are the shard, so that any API
 * process finds the job from its id alone; with one, it is a plain random UUID.
 *
 * @example
 * shardJobId(2, 3); // '4c1e…-…02'
 */
export function shardJobId(shard: number, shards: number): string {
  const id = randomUUID();
  if (shards <= 1) return id;
  return `${id.slice(0, -2)}${shard.toString(16).padStart(2, '0')}`;
}

/**
 * The shard a job id names (see `shardJobId`), or undefined when it names
 * none of `shards` (an id from before the queue had that many shards: look in
 * every shard).
 */
export function jobIdShard(id: string, shards: number): number | undefined {
  if (shards <= 1) return 0;
  const shard = Number.parseInt(id.slice(-2), 16);
  return Number.isInteger(shard) && shard < shards ? shard : undefined;
}
