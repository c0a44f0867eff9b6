/** What the routes share: connections, the registry, the queue, the settings. */
import type { RedisClient, RedisKeys } from '@ensembles/jobs';
import type { EnsembleRegistry } from '@ensembles/registry';
import type { Queue } from 'bullmq';
import type { ApiConfig } from './api-config.js';
import type { JobCompletions } from './job-completions.js';
import type { PredictionQueues } from './prediction-queues.js';
import type { ReplicaWait } from './replica-wait.js';
import type { WaitingJobs } from './waiting-jobs.js';

export interface AppContext {
  readonly config: ApiConfig;
  /** One Redis, or a cluster (`REDIS_CLUSTER_NODES`). */
  readonly redis: RedisClient;
  readonly keys: RedisKeys;
  readonly registry: EnsembleRegistry;
  /** Every shard of the prediction queue. */
  readonly queues: PredictionQueues;
  /** Shard 0's queue: the whole queue when it has one shard (the default). */
  readonly queue: Queue;
  /** This process' name on its completion channel: jobs it submits carry it, and workers notify it. */
  readonly replyTo: string;
  /** Requests waiting for their jobs to finish. */
  readonly completions: JobCompletions;
  /** The count of waiting jobs that the cap on them is checked against, and the placement of new jobs on shards. */
  readonly waitingJobs: WaitingJobs;
  /** Waits for replicas to hold a submission (`REDIS_WAIT_REPLICAS`); undefined when not asked for. */
  readonly replicas: ReplicaWait | undefined;
}

/** Until API keys arrive, every request belongs to this tenant. */
export const DEFAULT_TENANT = 'default';
