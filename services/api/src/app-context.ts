/** What the routes share: connections, the registry, the queue, the settings. */
import type { RedisKeys } from '@ensembles/jobs';
import type { EnsembleRegistry } from '@ensembles/registry';
import type { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ApiConfig } from './api-config.js';

export interface AppContext {
  readonly config: ApiConfig;
  readonly redis: Redis;
  readonly keys: RedisKeys;
  readonly registry: EnsembleRegistry;
  readonly queue: Queue;
  readonly queueEvents: QueueEvents;
}

/** Until API keys arrive, every request belongs to this tenant. */
export const DEFAULT_TENANT = 'default';
