/** An API on a private Redis for a test file, in process (`app.inject`), with a worker if asked, and its teardown. */
import { type PrivateRedis, type PrivateRedisOptions, startPrivateRedis } from '@ensembles/redis-testing';
import { type PredictionWorker, parseWorkerConfig, startPredictionWorker } from '@ensembles/worker';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { parseApiConfig } from '../api-config.js';
import { buildApp } from '../app.js';
import type { AppContext } from '../app-context.js';
import { openAppContext } from '../open-app-context.js';

export interface TestApi {
  readonly app: FastifyInstance;
  readonly context: AppContext;
  readonly redis: PrivateRedis;
  /** The in-process worker, when `withWorker` was asked for. */
  readonly worker: PredictionWorker | undefined;
  stop(): Promise<void>;
}

export interface TestApiOptions {
  /** Start a worker in the same process on the same Redis and prefix. @defaultValue false */
  readonly withWorker?: boolean;
  readonly redis?: PrivateRedisOptions;
  /** The app's logger (e.g. pino writing to a stream the test reads). @defaultValue none */
  readonly logger?: FastifyBaseLogger;
}

/** `env` adds settings (a `REDIS_PREFIX`, limits, keys) to the private Redis' URL, for the API and the worker alike. */
export async function startTestApi(env: Record<string, string> = {}, options: TestApiOptions = {}): Promise<TestApi> {
  const redis = await startPrivateRedis(options.redis);
  const settings = { REDIS_URL: redis.url, LOG_LEVEL: 'silent', ENSEMBLE_THREADS: '1', ...env };
  const context = await openAppContext(parseApiConfig(settings));
  const app = await buildApp(context, options.logger ? { logger: options.logger } : {});
  const worker = options.withWorker ? startPredictionWorker(parseWorkerConfig(settings)) : undefined;
  return {
    app,
    context,
    redis,
    worker,
    async stop() {
      await app.close();
      await worker?.close();
      await context.close();
      await redis.stop();
    },
  };
}
