/**
 * Opens what the API needs (Redis, registry, queue shards, this process'
 * completion channel) from its settings, and closes it.
 */
import { randomUUID } from 'node:crypto';
import { connectRedis, connectSubscriber, type RedisClient, systemKeys } from '@ensembles/jobs';
import { EnsembleRegistry } from '@ensembles/registry';
import type { ApiConfig } from './api-config.js';
import type { AppContext } from './app-context.js';
import { JobCompletions, listenForCompletions } from './job-completions.js';
import { PredictionQueues } from './prediction-queues.js';
import { ReplicaWait } from './replica-wait.js';
import { WaitingJobs } from './waiting-jobs.js';

export async function openAppContext(config: ApiConfig): Promise<AppContext & { close(): Promise<void> }> {
  // Fail fast while Redis is away (answered 503), rather than queue commands and hang.
  const redis = connectRedis(config, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
  // Connection errors surface as 503s and in readiness; ioredis would also print each retry.
  redis.on('error', () => undefined);
  await firstAttempt(redis);
  const keys = systemKeys(config);
  const queues = new PredictionQueues(redis, keys);
  // Workers tell this process, on a channel of its own, when a job it submitted has finished.
  const replyTo = randomUUID();
  const subscriber = connectSubscriber(config, { maxRetriesPerRequest: null, connectionName: `${config.REDIS_PREFIX}-api-notify` });
  subscriber.on('error', () => undefined);
  const completions = new JobCompletions((ids) => queues.finished(ids));
  await listenForCompletions(subscriber, keys.notifications(replyTo), completions);
  return {
    config,
    redis,
    keys,
    registry: new EnsembleRegistry(redis, { keys }),
    queues,
    queue: queues.queue(0),
    replyTo,
    completions,
    waitingJobs: new WaitingJobs(queues.queues, 100, config.QUEUE_PLACEMENT),
    replicas: config.REDIS_WAIT_REPLICAS > 0 ? new ReplicaWait(redis, config.REDIS_WAIT_REPLICAS, config.REDIS_WAIT_TIMEOUT_MS) : undefined,
    async close() {
      completions.close();
      subscriber.disconnect();
      // A graceful close waits for Redis; when Redis is gone, do not wait for it.
      const graceful = queues.close();
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
      queues.disconnect();
    },
  };
}

/**
 * Resolves once the connection's first attempt has ended, whichever way: a
 * connection that does not queue commands refuses those sent while it is
 * still opening, so a caller that uses the context at once (`npm start`
 * registering its example) must not race it; with Redis away the API still
 * starts, and answers 503 until it is back.
 */
function firstAttempt(client: RedisClient): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      client.off('ready', done);
      client.off('error', done);
      resolve();
    };
    client.on('ready', done);
    client.on('error', done);
  });
}
