/** Opens what the API needs (Redis, registry, queue, queue events) from its settings, and closes it. */
import { PREDICTION_QUEUE, redisKeys } from '@ensembles/jobs';
import { EnsembleRegistry } from '@ensembles/registry';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import type { ApiConfig } from './api-config.js';
import type { AppContext } from './app-context.js';

export async function openAppContext(config: ApiConfig): Promise<AppContext & { close(): Promise<void> }> {
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1 });
  const keys = redisKeys(config.REDIS_PREFIX);
  const prefix = `${config.REDIS_PREFIX}:bull`;
  const queue = new Queue(PREDICTION_QUEUE, { connection: redis, prefix });
  const queueEvents = new QueueEvents(PREDICTION_QUEUE, { connection: { url: config.REDIS_URL }, prefix });
  await queueEvents.waitUntilReady();
  return {
    config,
    redis,
    keys,
    registry: new EnsembleRegistry(redis, { keys }),
    queue,
    queueEvents,
    async close() {
      await queueEvents.close();
      await queue.close();
      redis.disconnect();
    },
  };
}
