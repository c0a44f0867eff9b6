/**
 * The one place that lays out the system's keys in Redis (BullMQ's own keys
 * included: each queue shard's prefix is set here). Every key starts with a
 * prefix `{p}` (`REDIS_PREFIX`), so that several deployments, or tests, can
 * share one Redis.
 *
 * - `{p}:version:{version}`: an immutable ensemble version, `version` being
 *   the SHA-256 hex of its content (hash: manifest JSON, members, parameters,
 *   bytes, chunk count and size, createdAt); shared by every tenant and name
 *   that registered the same content
 * - `{p}:weights:{version}:{i}`: chunk i of its stacked safetensors bytes (binary)
 * - `{p}:version:{version}:names`: the tenants' names that point at it (set of `{t}:{name}`)
 * - `{p}:versions:unreferenced`: versions whose last name went, by when (sorted set): the
 *   registry collects each once no queued or active job needs it
 * - `{p}:tenant:{t}:ensembles`: the names a tenant has (set)
 * - `{p}:tenant:{t}:ensemble:{name}`: a name's record (hash: `latest` version, `latestCreatedAt`, `updatedAt`,
 *   and `created:{version}`: when the name first pointed at each version, what this tenant is shown)
 * - `{p}:tenant:{t}:ensemble:{name}:history`: the versions the name has pointed
 *   at, newest first, each once (list). Names cannot contain `:`, so this key
 *   never collides with another name's record.
 * - `{p}:tenant:{t}:idempotency:{key}`: the job an `Idempotency-Key` created and the request it was created for (string,
 *   JSON `{ job, ensemble, options, input }`, each but `job` a SHA-256 hex digest of that part of the request; with the
 *   results' TTL; a bare job id in keys written before requests were recorded). See the API's `idempotency-key.ts`.
 * - `{p}:tenant:{t}:requests:{window}`: the tenant's requests in one rate-limit window
 *   (`window`: the minute since the epoch; string counter, expiring after two windows), shared by every API process
 * - `{p}:bull:predictions:*` (shard 0), `{p}:bull:predictions-{i}:*` (shard i): BullMQ's keys of
 *   each prediction queue shard (`QUEUE_SHARDS`)
 * - `{p}:job:{id}:input` / `{p}:job:{id}:result`: a job's tensors (safetensors bytes; the
 *   result's metadata holds the job's result summary). The input goes when the job completes.
 * - `{p}:results` (shard 0), `{p}:results:{i}` (shard i): a shard's completed jobs by completion time
 *   (sorted set), to keep only the newest results
 * - `{p}:workers`: live workers by last heartbeat (sorted set); `{p}:worker:{id}`: one's announcement (string, JSON, expiring)
 * - `{p}:notify:{api}`: the Pub/Sub channel of one API process (its `replyTo`): workers publish there
 *   when a job it submitted finishes (see `completion-notice.ts`)
 *
 * That is the `plain` layout, for one Redis (alone, or a primary with
 * replicas under Sentinel). On a Redis Cluster (`tagged`), keys that a
 * script, transaction or pipeline uses together must share a slot, so each
 * key carries a hash tag (`{…}`, the part Redis Cluster hashes):
 *
 * - the registry and the workers' announcements: the prefix itself, `{p}:version:…`, `{p}:tenant:{t}:ensemble:…`,
 *   `{p}:workers`, … (one slot: registration, deletion and collection are each atomic there)
 * - each queue shard, with its jobs' tensors and results index: a tag of its own, `{p:s{i}/{K}:{n}}:bull:predictions-{i}:*`,
 *   `{p:s{i}/{K}:{n}}:job:{id}:input`, `…:result`, `{p:s{i}/{K}:{n}}:results`, where `n` makes shard i of K hash
 *   into the middle of the i-th of K equal slot ranges: a cluster whose slots are split evenly among K masters
 *   (as `redis-cli --cluster create` splits them) holds one shard per master
 * - an idempotency claim: a tag of its own, `{p:tenant:{t}:idempotency:{key}}` (spread over the nodes)
 * - a tenant's rate-limit windows: `{p:tenant:{t}:requests}:{window}` (the script reads two windows)
 * - an API process' channel: `{p:notify:{api}}` (sharded Pub/Sub: published on the node that owns its slot)
 */

import { CLUSTER_SLOTS, keySlot } from './key-slot.js';
import { shardQueueName } from './queues.js';

/** `plain`: one Redis (standalone or under Sentinel); `tagged`: a Redis Cluster, every key hash-tagged. */
export type KeyLayout = 'plain' | 'tagged';

/** The keys of one prediction queue shard. */
export interface ShardKeys {
  readonly index: number;
  /** BullMQ's queue name and prefix for this shard. */
  readonly queueName: string;
  readonly queuePrefix: string;
  /** BullMQ's keys of this shard start with this (`…:wait`, `…:active`, `…:{jobId}`). */
  readonly queue: string;
  /** A job's input and result when stored beside it (on the shard's slot, with the job). */
  jobInput(jobId: string): string;
  jobResult(jobId: string): string;
  /** This shard's completed jobs with stored results, by completion time. */
  readonly results: string;
}

export type RedisKeys = ReturnType<typeof redisKeys>;

export interface RedisKeysOptions {
  /** @defaultValue `plain` */
  readonly layout?: KeyLayout;
  /** Shards of the prediction queue. @defaultValue 1 */
  readonly shards?: number;
}

/** @defaultValue prefix `ens`, the plain layout, one shard */
export function redisKeys(prefix = 'ens', options: RedisKeysOptions = {}) {
  const layout = options.layout ?? 'plain';
  const tagged = layout === 'tagged';
  const count = options.shards ?? 1;
  // The registry's and the workers' keys: one slot on a cluster.
  const g = tagged ? `{${prefix}}` : prefix;
  const shards: readonly ShardKeys[] = Array.from({ length: count }, (_, index) =>
    tagged ? taggedShard(prefix, index, count) : plainShard(prefix, index),
  );
  const first = shards[0] as ShardKeys;
  return {
    prefix,
    layout,
    shards,
    version: (version: string) => `${g}:version:${version}`,
    weightsChunk: (version: string, index: number) => `${g}:weights:${version}:${index}`,
    versionNames: (version: string) => `${g}:version:${version}:names`,
    unreferencedVersions: `${g}:versions:unreferenced`,
    /** Set once every name registered before versions kept their names has been added to them. */
    versionNamesIndexed: `${g}:versions:names-indexed`,
    /** Shard 0's BullMQ keys start with this (`…:wait`, `…:active`, `…:{jobId}`). */
    predictionQueue: first.queue,
    tenantEnsembles: (tenant: string) => `${g}:tenant:${tenant}:ensembles`,
    ensembleName: (tenant: string, name: string) => `${g}:tenant:${tenant}:ensemble:${name}`,
    ensembleHistory: (tenant: string, name: string) => `${g}:tenant:${tenant}:ensemble:${name}:history`,
    idempotency: (tenant: string, key: string) =>
      tagged ? `{${prefix}:tenant:${tenant}:idempotency:${key}}` : `${prefix}:tenant:${tenant}:idempotency:${key}`,
    tenantRequests: (tenant: string, window: number) =>
      tagged ? `{${prefix}:tenant:${tenant}:requests}:${window}` : `${prefix}:tenant:${tenant}:requests:${window}`,
    /** Shard 0's: a job's stored input (see `ShardKeys` for the others'). */
    jobInput: (jobId: string) => first.jobInput(jobId),
    worker: (workerId: string) => `${g}:worker:${workerId}`,
    workers: `${g}:workers`,
    /** Shard 0's: a job's stored result. */
    jobResult: (jobId: string) => first.jobResult(jobId),
    /** Shard 0's results index. */
    results: first.results,
    notifications: (replyTo: string) => (tagged ? `{${prefix}:notify:${replyTo}}` : `${prefix}:notify:${replyTo}`),
  };
}

function plainShard(prefix: string, index: number): ShardKeys {
  const queueName = shardQueueName(index);
  const queuePrefix = `${prefix}:bull`;
  return {
    index,
    queueName,
    queuePrefix,
    queue: `${queuePrefix}:${queueName}`,
    jobInput: (jobId) => `${prefix}:job:${jobId}:input`,
    jobResult: (jobId) => `${prefix}:job:${jobId}:result`,
    results: index === 0 ? `${prefix}:results` : `${prefix}:results:${index}`,
  };
}

function taggedShard(prefix: string, index: number, count: number): ShardKeys {
  const tag = `{${shardTag(prefix, index, count)}}`;
  const queueName = shardQueueName(index);
  const queuePrefix = `${tag}:bull`;
  return {
    index,
    queueName,
    queuePrefix,
    queue: `${queuePrefix}:${queueName}`,
    jobInput: (jobId) => `${tag}:job:${jobId}:input`,
    jobResult: (jobId) => `${tag}:job:${jobId}:result`,
    results: `${tag}:results`,
  };
}

/**
 * The hash tag of shard `index` of `count`: `{prefix}:s{index}/{count}:{n}`,
 * the first `n` whose slot lies in the middle half of the index-th of `count`
 * equal slot ranges.
 */
export function shardTag(prefix: string, index: number, count: number): string {
  const known = shardTags.get(`${prefix} ${index} ${count}`);
  if (known) return known;
  const width = CLUSTER_SLOTS / count;
  const low = Math.floor(index * width + width / 4);
  const high = Math.max(low + 1, Math.floor(index * width + (3 * width) / 4));
  for (let n = 0; ; n++) {
    const tag = `${prefix}:s${index}/${count}:${n}`;
    const slot = keySlot(tag);
    if (slot >= low && slot < high) {
      shardTags.set(`${prefix} ${index} ${count}`, tag);
      return tag;
    }
  }
}

const shardTags = new Map<string, string>();
