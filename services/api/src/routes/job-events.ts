/**
 * `GET /v1/jobs/{id}/events`: the job's status changes as server-sent
 * events (`event: status`, data: the job view), ending when it completes,
 * fails or is cancelled. The stream waits for the job like any waiting
 * request (`JobCompletions`: at once when this process submitted it, else
 * within the completions' sweep), and reads the job's state every
 * `STATE_POLL_MS` meanwhile, so that it shows the job becoming active; it
 * costs nothing per other job. A client that goes away leaves nothing behind.
 */
import type { PredictionJobData } from '@ensembles/jobs';
import type { JobErrorEvent, JobEventName, JobView } from '@ensembles/protocol';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../app-context.js';
import { clientHasGone } from '../client-gone.js';
import { errorResponses } from '../error-responses.js';
import { HttpError } from '../http-errors.js';
import type { JobWait } from '../job-completions.js';
import { jobView } from '../job-view.js';

const KEEP_ALIVE_MS = 15_000;
const STATE_POLL_MS = 1_000;

/** One server-sent event, as `@ensembles/protocol` names them: a job view, or why the stream ends without one. */
function event(name: JobEventName, data: JobView | JobErrorEvent): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

export function jobEventRoutes(context: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    const schema = {
      params: z.object({ id: z.string().uuid() }),
      response: {
        200: z.string().describe('Server-sent events (text/event-stream): `event: status` with the job view, until it finishes'),
        ...errorResponses([400, 404, 414]),
      },
    };
    app.get('/v1/jobs/:id/events', { schema }, async (request, reply) => {
      const { id } = request.params;
      const found = await context.queues.findJob<PredictionJobData>(id);
      if (!found || found.data.tenant !== request.tenant) throw new HttpError(404, 'JOB_NOT_FOUND', `no job ${id}`);

      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
      let last = '';
      let finished = false;
      const send = async () => {
        if (finished) return;
        if ((await found.getState()) === 'unknown') {
          raw.write(event('error', { error: `job ${id} was cancelled or has expired` }));
          end();
          return;
        }
        // jobView reads the state afresh, and the job again once it has finished.
        const view: JobView = await jobView(context, found);
        if (finished) return;
        if (view.status !== last) {
          last = view.status;
          raw.write(event('status', view));
        }
        if (view.status === 'completed' || view.status === 'failed') end();
      };
      const fail = (error: unknown) => {
        if (!finished) raw.write(event('error', { error: error instanceof Error ? error.message : String(error) }));
        end();
      };
      const keepAlive = setInterval(() => raw.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
      let wait: JobWait | undefined;
      function end(): void {
        if (finished) return;
        finished = true;
        clearInterval(keepAlive);
        wait?.cancel();
        raw.end();
      }
      raw.on('close', end); // the client went away (the response's close, not the request's)
      if (clientHasGone(reply)) return end(); // it went before the stream began: that close has passed
      const follow = async () => {
        await send();
        while (!finished) {
          wait = context.completions.wait(id, STATE_POLL_MS);
          await wait.finished;
          await send();
        }
      };
      await follow().catch(fail);
    });
  };
}
