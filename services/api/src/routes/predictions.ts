/**
 * `POST /v1/ensembles/{name}/predictions`: answers 202 with the queued job,
 * or, with `Prefer: wait=N`, 200 with the result if it is ready in time. An
 * `Idempotency-Key` makes a retried submission return the same job; the key
 * with a different request is refused (422 `IDEMPOTENCY_KEY_REUSED`).
 *
 * Binary both ways: a safetensors body (tensor `input`, options in the query)
 * is read straight into the input tensor, and `Accept:
 * application/octet-stream` answers a completed job with its stored result
 * file as it is (tensors, the job's summary in `__metadata__.job`).
 */
import { readSafetensors, type Tensor, toFloat32 } from '@ensembles/core';
import { combineModes, inputModes, jobViewSchema, predictionRequestSchema } from '@ensembles/protocol';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../app-context.js';
import { clientGoneSignal } from '../client-gone.js';
import { errorResponses } from '../error-responses.js';
import { HttpError } from '../http-errors.js';
import { submitPrediction } from '../submit-prediction.js';
import { tensorFromJson } from '../tensor-json.js';

/** The options of a safetensors body, as query parameters (a JSON body carries its own). */
const binaryOptionsQuerySchema = z.object({
  mode: z.enum(inputModes).optional(),
  combine: z.enum(combineModes).optional(),
  weights: z.string().optional().describe('member weights for combine=weighted, comma-separated'),
  uncertainty: z.enum(['true', 'false']).optional(),
  priority: z.string().regex(/^\d+$/).optional(),
});

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
function parseSafetensorsBody(body: Buffer, query: Record<string, unknown>): { options: unknown; input: Tensor; inputFile?: Buffer } {
  for (const [name, value] of Object.entries(query)) {
    if (typeof value !== 'string') throw new HttpError(400, 'REQUEST_INVALID', `query parameter ${name} is given more than once`);
  }
  const file = readSafetensors(body, { source: 'the request body' });
  const tensor = file.tensors.get('input');
  if (!tensor) throw new HttpError(400, 'INPUT_INVALID', 'the safetensors body has no tensor named "input"');
  const text = (value: unknown) => value as string | undefined;
  const flag = (value: string | undefined) =>
    value === undefined ? undefined : value === 'true' ? true : value === 'false' ? false : value;
  const options = {
    mode: text(query.mode),
    combine: text(query.combine),
    weights: text(query.weights)?.split(',').map(Number),
    uncertainty: flag(text(query.uncertainty)),
    priority: query.priority === undefined ? undefined : Number(query.priority),
  };
  return {
    options: Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)),
    // Checked with the options against the ensemble by `checkPrediction` (shape, finite values).
    input: { shape: [...tensor.shape], data: toFloat32(tensor) },
    // A body holding just the float32 input is the file a worker reads: stored as it came, not written anew.
    ...(file.tensors.size === 1 && tensor.dtype === 'F32' ? { inputFile: body } : {}),
  };
}

/**
 * Binary inputs by request: the body schema validates the options and a
 * one-value stand-in for the tensor, which the handler replaces with the
 * real one, so that a large input never becomes an array of numbers.
 */
const binaryInputs = new WeakMap<object, { input: Tensor; inputFile?: Buffer }>();
const STAND_IN = { shape: [1], data: [0] };

function wantsBinary(accept: string | undefined): boolean {
  return accept?.split(',').some((type) => type.trim().startsWith('application/octet-stream')) ?? false;
}

export function predictionRoutes(context: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.addContentTypeParser(
      'application/octet-stream',
      // A prediction body, binary or JSON, has the same limit: the input is copied a few times on its way to Redis.
      { parseAs: 'buffer', bodyLimit: context.config.MAX_BODY_BYTES },
      (request, body, done) => {
        try {
          const { options, ...binary } = parseSafetensorsBody(body as Buffer, request.query as Record<string, unknown>);
          binaryInputs.set(request.raw, binary);
          done(null, { ...(options as object), input: STAND_IN });
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
          querystring: binaryOptionsQuerySchema,
          headers: z
            .object({
              'idempotency-key': z
                .string()
                .min(1)
                .max(200)
                .optional()
                .describe(
                  'Names this request: a retry with the same key and request returns the same job; the key with a different ensemble, options or input is refused (422 IDEMPOTENCY_KEY_REUSED)',
                ),
              prefer: z.string().optional(),
            })
            .passthrough(),
          body: predictionRequestSchema,
          response: { 200: jobViewSchema, 202: jobViewSchema, ...errorResponses([400, 404, 414, 413, 415, 422]) },
        },
      },
      async (request, reply) => {
        const { input, ...options } = request.body;
        const binary = wantsBinary(request.headers.accept);
        const wait = preferredWait(request.headers.prefer, context.config.MAX_WAIT_SECONDS);
        const { resultFile, ...view } = await submitPrediction(
          context,
          {
            tenant: request.tenant,
            ensemble: request.params.name,
            ...(binaryInputs.get(request.raw) ?? { input: tensorFromJson(input, 'input') }),
            options,
            idempotencyKey: request.headers['idempotency-key'],
            clientGone: wait > 0 ? clientGoneSignal(reply) : undefined,
          },
          wait,
          binary ? 'file' : 'json',
        );
        if (resultFile)
          return reply.status(200).header('content-type', 'application/octet-stream').header('location', view.url).send(resultFile);
        if (wait > 0 && (view.status === 'completed' || view.status === 'failed')) return reply.status(200).send(view);
        return reply.status(202).header('location', view.url).send(view);
      },
    );
  };
}
