/** `GET /v1/workers`: the live workers, from their announcements in Redis. */
import { WORKER_TTL_MS, workerAnnouncementSchema } from '@ensembles/jobs';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../app-context.js';

export function workerRoutes(context: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/v1/workers', { schema: { response: { 200: z.object({ workers: z.array(workerAnnouncementSchema) }) } } }, async () => {
      const ids = await context.redis.zrangebyscore(context.keys.workers, Date.now() - WORKER_TTL_MS, '+inf');
      const announcements = ids.length > 0 ? await context.redis.mget(ids.map((id) => context.keys.worker(id))) : [];
      const workers = announcements.flatMap((json) => {
        const parsed = json ? workerAnnouncementSchema.safeParse(JSON.parse(json)) : undefined;
        return parsed?.success ? [parsed.data] : [];
      });
      return { workers };
    });
  };
}
