#!/usr/bin/env node
/** The API process: configuration from the environment, JSON logs, graceful shutdown. */
import { pino } from 'pino';
import { parseApiConfig } from './api-config.js';
import { buildApp } from './app.js';
import { openAppContext } from './open-app-context.js';

const config = parseApiConfig(process.env);
const logger = pino({ level: config.LOG_LEVEL, base: { service: 'api' }, redact: ['req.headers.authorization'] });
const context = await openAppContext(config);
const app = await buildApp(context, { logger });
await app.listen({ port: config.PORT, host: config.HOST });
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
