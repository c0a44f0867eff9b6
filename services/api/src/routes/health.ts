/** Liveness and readiness (Open Inference Protocol paths). */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppContext } from '../app-context.js';

export function healthRoutes(context: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/v2/health/live', async () => ({ live: true }));
    app.get('/v2/health/ready', async (_request, reply) => {
      try {
        await context.redis.ping();
        return { ready: true };
      } catch (error) {
        return reply.status(503).send({ ready: false, error: `Redis does not answer: ${(error as Error).message}` });
      }
    });
  };
}
