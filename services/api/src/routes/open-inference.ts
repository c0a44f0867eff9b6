/**
 * The Open Inference Protocol (KServe v2) as a synchronous face over the same
 * queue, so that Triton/KServe clients can call an ensemble: model metadata
 * and readiness, and `infer`, which waits for the job (up to
 * `MAX_WAIT_SECONDS`). Errors are `{ "error": "..." }`, as the protocol says.
 */
import { predictionOptionsSchema } from '@ensembles/jobs';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../app-context.js';
import { clientGoneSignal } from '../client-gone.js';
import { bareErrorBodySchema, errorResponses } from '../error-responses.js';
import { HttpError } from '../http-errors.js';
import { submitPrediction } from '../submit-prediction.js';
import { float32Value, tensorFromJson } from '../tensor-json.js';

const nameParams = z.object({ name: z.string().min(1).max(200) });

const tensorMetadata = z.object({ name: z.string(), datatype: z.string(), shape: z.array(z.number().int()) });

const inferRequestSchema = z.object({
  id: z.string().max(200).optional(),
  inputs: z
    .array(
      z.object({
        name: z.string(),
        shape: z.array(z.number().int().positive()).min(1).max(16),
        datatype: z.literal('FP32'),
        data: z.array(float32Value),
      }),
    )
    .length(1, 'send exactly one input tensor, named "input"'),
  parameters: predictionOptionsSchema.omit({ priority: true }).partial().optional(),
});

const inferResponseSchema = z.object({
  id: z.string().optional(),
  model_name: z.string(),
  model_version: z.string(),
  // `null` where a value is not finite (an overflow in the model), which JSON cannot hold.
  outputs: z.array(tensorMetadata.extend({ data: z.array(z.number().nullable()) })),
});

export function openInferenceRoutes(context: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/v2/models/:name',
      {
        schema: {
          params: nameParams,
          response: {
            200: z.object({
              name: z.string(),
              versions: z.array(z.string()),
              platform: z.string(),
              inputs: z.array(tensorMetadata),
              outputs: z.array(tensorMetadata),
            }),
            ...errorResponses([400, 404, 414], bareErrorBodySchema),
          },
        },
      },
      async (request) => {
        const latest = await context.registry.resolve(request.tenant, request.params.name);
        const versions = await context.registry.versions(request.tenant, latest.name);
        const { members, input } = latest.architecture.manifest;
        return {
          name: latest.name,
          versions: versions.map((v) => v.version),
          platform: 'deep-ensembles',
          inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, ...input.shape] }],
          outputs: [{ name: 'members', datatype: 'FP32', shape: [members, -1, ...latest.architecture.outputShape] }],
        };
      },
    );

    const readySchema = {
      params: nameParams,
      response: { 200: z.object({ name: z.string(), ready: z.literal(true) }), ...errorResponses([400, 404, 414], bareErrorBodySchema) },
    };
    app.get('/v2/models/:name/ready', { schema: readySchema }, async (request) => {
      await context.registry.resolve(request.tenant, request.params.name);
      return { name: request.params.name, ready: true as const };
    });

    app.post(
      '/v2/models/:name/infer',
      {
        schema: {
          params: nameParams,
          body: inferRequestSchema,
          response: { 200: inferResponseSchema, ...errorResponses([400, 404, 414, 413, 415, 500, 504], bareErrorBodySchema) },
        },
      },
      async (request, reply) => {
        const [tensor] = request.body.inputs;
        if (tensor?.name !== 'input') throw new HttpError(400, 'INPUT_INVALID', 'the input tensor must be named "input"');
        const options = predictionOptionsSchema.parse(request.body.parameters ?? {});
        const view = await submitPrediction(
          context,
          {
            tenant: request.tenant,
            ensemble: request.params.name,
            input: tensorFromJson({ shape: tensor.shape, data: tensor.data }, 'input'),
            options,
            clientGone: clientGoneSignal(reply),
          },
          context.config.MAX_WAIT_SECONDS,
        );
        if (view.status === 'failed') throw new HttpError(500, 'JOB_FAILED', `the prediction failed: ${view.error ?? 'unknown reason'}`);
        if (view.status !== 'completed' || !view.result) {
          throw new HttpError(
            504,
            'JOB_TIMEOUT',
            `the prediction did not finish within ${context.config.MAX_WAIT_SECONDS} s; it continues as job ${view.id}`,
          );
        }
        const outputs = Object.entries(view.result).map(([name, t]) => ({
          name,
          datatype: name === 'combined' && options.combine === 'vote' ? 'INT64' : 'FP32',
          shape: t.shape,
          data: t.data,
        }));
        return {
          ...(request.body.id ? { id: request.body.id } : {}),
          model_name: view.ensemble.name,
          model_version: view.ensemble.version,
          outputs,
        };
      },
    );
  };
}
