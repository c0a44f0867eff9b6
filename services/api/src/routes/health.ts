/**
 * Liveness and readiness (Open Inference Protocol paths): ready when Redis
 * answers (on a cluster, every master) and will not evict keys.
 */
import { primaries } from '@ensembles/jobs';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../app-context.js';
import { evictionProblem } from '../redis-memory-policy.js';

export function healthRoutes(context: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    // Open to all: `security: []` tells the OpenAPI document that they need no API key.
    app.get('/v2/health/live', { schema: { security: [], response: { 200: z.object({ live: z.literal(true) }) } } }, async () => ({
      live: true as const,
    }));
    app.get(
      '/v2/health/ready',
      {
        schema: {
          security: [],
          response: {
            200: z.object({ ready: z.literal(true) }),
            503: z
              .object({ ready: z.literal(false), error: z.string() })
              .describe('Redis does not answer, or may evict keys (its maxmemory-policy is not noeviction)'),
          },
        },
      },
      async (_request, reply) => {
        let problem: string | undefined;
        try {
          if (context.redis.isCluster && context.redis.status !== 'ready') {
            problem = `the Redis Cluster is not ready (${context.redis.status}): its nodes and slots are not known yet`;
          } else {
            await Promise.all(primaries(context.redis).map((node) => node.ping()));
            problem = await evictionProblem(context.redis);
          }
        } catch (error) {
          problem = `Redis does not answer: ${(error as Error).message}`;
        }
        if (problem) return reply.status(503).send({ ready: false as const, error: problem });
        return { ready: true as const };
      },
    );
  };
}
