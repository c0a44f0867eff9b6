/**
 * Opens what the API needs (Redis, registry, queue, this process' completion
 * channel) from its settings, and closes it.
 */
import { randomUUID } from 'node:crypto';
import { PREDICTION_QUEUE, redisKeys } from '@ensembles/jobs';
import { EnsembleRegistry } from '@ensembles/registry';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { ApiConfig } from './api-config.js';
import type { AppContext } from './app-context.js';
import { finishedInQueue, JobCompletions, listenForCompletions } from './job-completions.js';
import { WaitingJobs } from './waiting-jobs.js';

export async function openAppContext(config: ApiConfig): Promise<AppContext & { close(): Promise<void> }> {
  // Fail fast while Redis is away (answered 503), rather than queue commands and hang.
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
  // Connection errors surface as 503s and in readiness; ioredis would also print each retry.
  redis.on('error', () => undefined);
  const keys = redisKeys(config.REDIS_PREFIX);
  const prefix = `${config.REDIS_PREFIX}:bull`;
  const queue = new Queue(PREDICTION_QUEUE, { connection: redis, prefix });
  // Workers tell this process, on a channel of its own, when a job it submitted has finished.
  const replyTo = randomUUID();
  const subscriber = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null, connectionName: `${config.REDIS_PREFIX}-api-notify` });
  subscriber.on('error', () => undefined);
  const completions = new JobCompletions(finishedInQueue(redis, queue));
  await listenForCompletions(subscriber, keys.notifications(replyTo), completions);
  return {
    config,
    redis,
    keys,
    registry: new EnsembleRegistry(redis, { keys }),
    queue,
    replyTo,
    completions,
    waitingJobs: new WaitingJobs(queue),
    async close() {
      completions.close();
      subscriber.disconnect();
      // A graceful close waits for Redis; when Redis is gone, do not wait for it.
      const graceful = queue.close();
      const gaveUp = new Promise<void>((resolve) => setTimeout(resolve, 2000).unref());
      await Promise.race([
        graceful.then(
          () => undefined,
          () => undefined,
        ),
        gaveUp,
      ]);
      redis.disconnect();
      // BullMQ's own disconnects wait for a connection too: start them, do not wait for them.
      queue.disconnect().catch(() => undefined);
    },
  };
}
