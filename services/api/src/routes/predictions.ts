/**
 * `POST /v1/ensembles/{name}/predictions`: answers 202 with the queued job,
 * or, with `Prefer: wait=N`, 200 with the result if it is ready in time. An
 * `Idempotency-Key` makes a retried submission return the same job.
 */
import { readSafetensors, toFloat32 } from '@ensembles/core';
import { predictionOptionsSchema } from '@ensembles/jobs';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../app-context.js';
import { HttpError } from '../http-errors.js';
import { jobViewSchema } from '../job-view.js';
import { awaitJob, submitPrediction } from '../submit-prediction.js';
import { tensorFromJson, tensorJsonSchema } from '../tensor-json.js';

const predictionBodySchema = predictionOptionsSchema.extend({ input: tensorJsonSchema });

/** `Prefer: wait=5` → 5 (seconds), capped; no header → 0. */
function preferredWait(header: string | undefined, max: number): number {
  const match = header?.match(/(?:^|[,;\s])wait=(\d+)/);
  return match ? Math.min(Number(match[1]), max) : 0;
}

/**
 * A safetensors body (`Content-Type: application/octet-stream`, tensor
 * `input`) with the options as query parameters becomes the same request as
 * the JSON form, validated by the same schema.
 */
function parseSafetensorsBody(body: Buffer, query: Record<string, string | undefined>): unknown {
  const tensor = readSafetensors(body, { source: 'the request body' }).tensors.get('input');
  if (!tensor) throw new HttpError(400, 'INPUT_INVALID', 'the safetensors body has no tensor named "input"');
  const flag = (value: string | undefined) =>
    value === undefined ? undefined : value === 'true' ? true : value === 'false' ? false : value;
  const options = {
    mode: query.mode,
    combine: query.combine,
    weights: query.weights?.split(',').map(Number),
    uncertainty: flag(query.uncertainty),
    priority: query.priority === undefined ? undefined : Number(query.priority),
  };
  return {
    ...Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)),
    input: { shape: [...tensor.shape], data: Array.from(toFloat32(tensor)) },
  };
}

export function predictionRoutes(context: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.addContentTypeParser(
      'application/octet-stream',
      { parseAs: 'buffer', bodyLimit: context.config.MAX_UPLOAD_BYTES },
      (request, body, done) => {
        try {
          done(null, parseSafetensorsBody(body as Buffer, request.query as Record<string, string | undefined>));
        } catch (error) {
          done(error as Error, undefined);
        }
      },
    );

    app.post(
      '/v1/ensembles/:name/predictions',
      {
        schema: {
          params: z.object({ name: z.string().min(1).max(200) }),
          querystring: z.record(z.string(), z.string()).optional(),
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
