/**
 * The one place that lays out the system's keys in Redis (besides BullMQ's
 * own, under the queue prefix). Every key starts with a prefix, so that
 * several deployments, or tests, can share one Redis.
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
 * - `{p}:job:{id}:input` / `{p}:job:{id}:result`: a job's tensors (safetensors bytes; the
 *   result's metadata holds the job's result summary). The input goes when the job completes.
 * - `{p}:results`: completed jobs by completion time (sorted set), to keep only the newest results
 * - `{p}:workers`: live workers by last heartbeat (sorted set); `{p}:worker:{id}`: one's announcement (string, JSON, expiring)
 * - `{p}:notify:{api}`: the Pub/Sub channel of one API process (its `replyTo`): workers publish there
 *   when a job it submitted finishes (see `completion-notice.ts`)
 */

import { PREDICTION_QUEUE } from './queues.js';

export type RedisKeys = ReturnType<typeof redisKeys>;

/** @defaultValue prefix `ens` */
export function redisKeys(prefix = 'ens') {
  return {
    prefix,
    version: (version: string) => `${prefix}:version:${version}`,
    weightsChunk: (version: string, index: number) => `${prefix}:weights:${version}:${index}`,
    versionNames: (version: string) => `${prefix}:version:${version}:names`,
    unreferencedVersions: `${prefix}:versions:unreferenced`,
    /** Set once every name registered before versions kept their names has been added to them. */
    versionNamesIndexed: `${prefix}:versions:names-indexed`,
    /** BullMQ's keys of the prediction queue start with this (`…:wait`, `…:active`, `…:{jobId}`). */
    predictionQueue: `${prefix}:bull:${PREDICTION_QUEUE}`,
    tenantEnsembles: (tenant: string) => `${prefix}:tenant:${tenant}:ensembles`,
    ensembleName: (tenant: string, name: string) => `${prefix}:tenant:${tenant}:ensemble:${name}`,
    ensembleHistory: (tenant: string, name: string) => `${prefix}:tenant:${tenant}:ensemble:${name}:history`,
    idempotency: (tenant: string, key: string) => `${prefix}:tenant:${tenant}:idempotency:${key}`,
    tenantRequests: (tenant: string, window: number) => `${prefix}:tenant:${tenant}:requests:${window}`,
    jobInput: (jobId: string) => `${prefix}:job:${jobId}:input`,
    worker: (workerId: string) => `${prefix}:worker:${workerId}`,
    workers: `${prefix}:workers`,
    jobResult: (jobId: string) => `${prefix}:job:${jobId}:result`,
    results: `${prefix}:results`,
    notifications: (replyTo: string) => `${prefix}:notify:${replyTo}`,
  };
}
