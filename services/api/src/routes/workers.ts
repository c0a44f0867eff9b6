/** `GET /v1/workers`: the live workers, from their announcements in Redis. */
import { workerListSchema } from '@ensembles/protocol';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppContext } from '../app-context.js';
import { errorResponses } from '../error-responses.js';
import { liveWorkers } from '../live-workers.js';

export function workerRoutes(context: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/v1/workers', { schema: { response: { 200: workerListSchema, ...errorResponses([]) } } }, async () => ({
      workers: await liveWorkers(context),
    }));
  };
}
