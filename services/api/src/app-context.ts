/** What the routes share: connections, the registry, the queue, the settings. */
import type { RedisKeys } from '@ensembles/jobs';
import type { EnsembleRegistry } from '@ensembles/registry';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ApiConfig } from './api-config.js';
import type { JobCompletions } from './job-completions.js';
import type { WaitingJobs } from './waiting-jobs.js';

export interface AppContext {
  readonly config: ApiConfig;
  readonly redis: Redis;
  readonly keys: RedisKeys;
  readonly registry: EnsembleRegistry;
  readonly queue: Queue;
  /** This process' name on its completion channel: jobs it submits carry it, and workers notify it. */
  readonly replyTo: string;
  /** Requests waiting for their jobs to finish. */
  readonly completions: JobCompletions;
  /** The count of waiting jobs that the cap on them is checked against. */
  readonly waitingJobs: WaitingJobs;
}

/** Until API keys arrive, every request belongs to this tenant. */
export const DEFAULT_TENANT = 'default';
