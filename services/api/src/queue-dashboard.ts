/**
 * Bull Board at `/admin/queues`. With authentication on, it needs the admin
 * key, as a bearer token or as the password of HTTP Basic (so that a browser
 * asks for it); without `ADMIN_KEY` it stays closed.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from './app-context.js';

export const DASHBOARD_PATH = '/admin/queues';

export async function installQueueDashboard(app: FastifyInstance, context: AppContext): Promise<void> {
  const serverAdapter = new FastifyAdapter();
  // Every shard of the prediction queue, each under its queue name (`predictions`, `predictions-1`, ...).
  createBullBoard({ queues: context.queues.queues.map((queue) => new BullMQAdapter(queue)), serverAdapter });
  serverAdapter.setBasePath(DASHBOARD_PATH);
  const authenticationOn = context.config.API_KEYS.size > 0 || context.config.ADMIN_KEY !== undefined;
  const adminDigest = context.config.ADMIN_KEY ? sha256(context.config.ADMIN_KEY) : undefined;
  await app.register(
    async (scope) => {
      if (authenticationOn) {
        scope.addHook('onRequest', async (request, reply) => {
          const header = request.headers.authorization ?? '';
          const bearer = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
          const basic = /^Basic\s+(\S+)$/i.exec(header)?.[1];
          const presented = bearer ?? (basic ? Buffer.from(basic, 'base64').toString('utf8').split(':').slice(1).join(':') : undefined);
          if (adminDigest && presented && timingSafeEqual(sha256(presented), adminDigest)) return;
          await reply
            .status(401)
            .header('www-authenticate', 'Basic realm="queues"')
            .send({ error: { code: 'UNAUTHORIZED', message: 'the queue dashboard needs the admin key' } });
        });
      }
      await scope.register(serverAdapter.registerPlugin());
    },
    { prefix: DASHBOARD_PATH },
  );
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
