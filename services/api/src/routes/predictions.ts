/**
 * `POST /v1/ensembles/{name}/predictions`: answers 202 with the queued job,
 * or, with `Prefer: wait=N`, 200 with the result if it is ready in time. An
 * `Idempotency-Key` makes a retried submission return the same job.
 */
import { predictionOptionsSchema } from '@ensembles/jobs';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../app-context.js';
import { jobViewSchema } from '../job-view.js';
import { awaitJob, submitPrediction } from '../submit-prediction.js';
import { tensorFromJson, tensorJsonSchema } from '../tensor-json.js';

const predictionBodySchema = predictionOptionsSchema.extend({ input: tensorJsonSchema });

/** `Prefer: wait=5` → 5 (seconds), capped; no header → 0. */
function preferredWait(header: string | undefined, max: number): number {
  const match = header?.match(/(?:^|[,;\s])wait=(\d+)/);
  return match ? Math.min(Number(match[1]), max) : 0;
}

export function predictionRoutes(context: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/v1/ensembles/:name/predictions',
      {
        schema: {
          params: z.object({ name: z.string().min(1).max(200) }),
          headers: z.object({ 'idempotency-key': z.string().min(1).max(200).optional(), prefer: z.string().optional() }).passthrough(),
          body: predictionBodySchema,
          response: { 200: jobViewSchema, 202: jobViewSchema },
        },
      },
      async (request, reply) => {
        const { input, ...options } = request.body;
        const job = await submitPrediction(context, {
          tenant: request.tenant,
          ensemble: request.params.name,
          input: tensorFromJson(input, 'input'),
          options,
          idempotencyKey: request.headers['idempotency-key'],
        });
        const wait = preferredWait(request.headers.prefer, context.config.MAX_WAIT_SECONDS);
        const view = await awaitJob(context, job, wait);
        if (wait > 0 && (view.status === 'completed' || view.status === 'failed')) return reply.status(200).send(view);
        return reply.status(202).header('location', view.url).send(view);
      },
    );
  };
}
