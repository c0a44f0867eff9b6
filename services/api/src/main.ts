#!/usr/bin/env node
/** The API process: configuration from the environment, JSON logs, graceful shutdown. */
import { describeRedisTarget } from '@ensembles/jobs';
import { parseApiConfig } from './api-config.js';
import { buildApp } from './app.js';
import { createLogger } from './logger.js';
import { openAppContext } from './open-app-context.js';
import { evictionProblem } from './redis-memory-policy.js';

const config = parseApiConfig(process.env);
const logger = createLogger(config);
const context = await openAppContext(config);
const app = await buildApp(context, { logger });
await app.listen({ port: config.PORT, host: config.HOST });
logger.info({ redis: describeRedisTarget(config), queueShards: config.QUEUE_SHARDS, placement: config.QUEUE_PLACEMENT }, 'API started');
const evicting = await evictionProblem(context.redis).catch(() => undefined);
if (evicting) logger.warn(`${evicting} (not ready until then)`);
if (config.API_KEYS.size === 0) logger.warn('AUTHENTICATION IS OFF: no API_KEYS, every request acts as the tenant "default"');

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    logger.info({ signal }, 'stopping');
    app
      .close()
      .then(() => context.close())
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  });
}
