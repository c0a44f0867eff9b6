/** `/v1/jobs/{id}`: show a job, or cancel it while it waits. Another tenant's job is not found. */
import type { PredictionJobData } from '@ensembles/jobs';
import { jobViewSchema } from '@ensembles/protocol';
import type { Job } from 'bullmq';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../app-context.js';
import { errorResponses } from '../error-responses.js';
import { HttpError } from '../http-errors.js';
import { jobView } from '../job-view.js';

const idParams = z.object({ id: z.string().uuid() });

export function jobRoutes(context: AppContext): FastifyPluginAsyncZod {
  async function findJob(tenant: string, id: string): Promise<Job<PredictionJobData>> {
    const job = await context.queues.findJob<PredictionJobData>(id);
    if (!job || job.data.tenant !== tenant) throw new HttpError(404, 'JOB_NOT_FOUND', `no job ${id}`);
    return job;
  }

  return async (app) => {
    app.get(
      '/v1/jobs/:id',
      { schema: { params: idParams, response: { 200: jobViewSchema, ...errorResponses([400, 404, 414]) } } },
      async (request) => jobView(context, await findJob(request.tenant, request.params.id)),
    );

    const deleteSchema = {
      params: idParams,
      response: { 204: z.null().describe('Cancelled'), ...errorResponses([400, 404, 414, 409, 413, 415]) },
    };
    app.delete('/v1/jobs/:id', { schema: deleteSchema }, async (request, reply) => {
      const job = await findJob(request.tenant, request.params.id);
      const state = await job.getState();
      if (state === 'active') throw new HttpError(409, 'JOB_ACTIVE', `job ${job.id} is running and can no longer be cancelled`);
      if (state === 'completed' || state === 'failed') throw new HttpError(409, 'JOB_FINISHED', `job ${job.id} has already ${state}`);
      try {
        await job.remove();
      } catch {
        // a worker took it between the check and the removal
        throw new HttpError(409, 'JOB_ACTIVE', `job ${job.id} is running and can no longer be cancelled`);
      }
      await context.redis.del(context.queues.shardOf(job).jobInput(job.id as string));
      return reply.status(204).send(null);
    });
  };
}
