#!/usr/bin/env node
/**
 * The whole system in one process, on embedded defaults (`npm start`): Redis
 * found or started (see `find-redis.ts`), the API on `PORT` (3000), one
 * worker, and the example ensemble registered. For production, run the API
 * and the workers as separate processes (`services/api`, `services/worker`).
 */
import { fileURLToPath } from 'node:url';
import { buildApp, DEFAULT_TENANT, openAppContext, parseApiConfig } from '@ensembles/api';
import { parseWorkerConfig, startPredictionWorker } from '@ensembles/worker';
import { pino } from 'pino';
import { registerExampleEnsemble } from './example-ensemble.js';
import { describeRedis, findRedis } from './find-redis.js';

const logger = pino({ level: process.env.LOG_LEVEL ?? 'info', base: { service: 'all-in-one' }, redact: ['req.headers.authorization'] });
const dataDir = fileURLToPath(new URL('../../../.data/redis', import.meta.url));

async function main(): Promise<void> {
  const redis = await findRedis(process.env, dataDir);
  // A server found or started here is handed on as REDIS_URL; a cluster or Sentinels are used as set.
  const env =
    redis.source === 'REDIS_CLUSTER_NODES' || redis.source === 'REDIS_SENTINELS' ? process.env : { ...process.env, REDIS_URL: redis.url };
  const apiConfig = parseApiConfig(env);
  const context = await openAppContext(apiConfig);
  const example = await registerExampleEnsemble(context.registry, DEFAULT_TENANT);
  const worker = startPredictionWorker(parseWorkerConfig(env));
  const app = await buildApp(context, { logger, metrics: [worker.metrics.registry] });
  await app.listen({ port: apiConfig.PORT, host: apiConfig.HOST });

  logger.info({ redis: redis.url, source: redis.source, prefix: apiConfig.REDIS_PREFIX }, describeRedis(redis, apiConfig.REDIS_PREFIX));
  logger.info(example, example.created ? 'registered the example ensemble' : 'the example ensemble is registered');
  if (apiConfig.API_KEYS.size === 0) logger.warn('AUTHENTICATION IS OFF: no API_KEYS, every request acts as the tenant "default"');
  logger.info(`ready: http://${apiConfig.HOST}:${apiConfig.PORT}/v1/ensembles`);

  let stopping = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'stopping: finishing active jobs');
      (async () => {
        await app.close();
        await worker.close();
        await context.close();
        await redis.stop();
      })().then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
    });
  }
}

main().catch((error: unknown) => {
  logger.fatal(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
