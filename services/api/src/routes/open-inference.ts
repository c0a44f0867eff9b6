/**
 * The Open Inference Protocol (KServe v2 REST) as a synchronous face over the
 * same queue, so that Triton and KServe clients can call an ensemble: server
 * metadata, model metadata and readiness, and `infer`, which waits for the
 * job (up to `MAX_WAIT_SECONDS`), each with or without `/versions/{version}`.
 * Triton's binary tensor data extension is read and written. Errors are
 * `{ "error": "..." }`, as the protocol says; the body parsers and error
 * answers are this plugin's own, so the API's other routes keep theirs.
 */
import { bareErrorBodySchema } from '@ensembles/protocol';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../app-context.js';
import { clientGoneSignal } from '../client-gone.js';
import { errorResponses } from '../error-responses.js';
import { HttpError } from '../http-errors.js';
import { HEADER_LENGTH_HEADER } from '../open-inference/binary-tensor-data.js';
import { binaryTensorData, installInferenceBodyParser } from '../open-inference/inference-body.js';
import { installInferenceErrors, installInferenceNotFound } from '../open-inference/inference-errors.js';
import { inferenceResponse } from '../open-inference/inference-response.js';
import {
  inferRequestSchema,
  inferResponseSchema,
  modelMetadataSchema,
  modelReadySchema,
  serverMetadataSchema,
} from '../open-inference/inference-schemas.js';
import { inputTensor } from '../open-inference/input-tensor.js';
import { modelMetadata } from '../open-inference/model-metadata.js';
import { planOutputs } from '../open-inference/output-plan.js';
import { serverMetadata } from '../open-inference/server-metadata.js';
import { submitPrediction } from '../submit-prediction.js';

const modelName = z.string().min(1).max(200).describe("The ensemble's name, or `name@version` (a version prefix of 12 or more hex digits)");
const modelVersion = z
  .string()
  .min(1)
  .max(200)
  .describe('A version of the ensemble: its content digest, or a prefix of 12 or more hex digits');
const nameParams = z.object({ name: modelName });
const versionParams = z.object({ name: modelName, version: modelVersion });

/** The registry reference of a route's model: `name`, `name@version`, or the name and the path's version. */
function reference(params: { name: string; version?: string }): string {
  if (params.version === undefined) return params.name;
  if (params.name.includes('@')) {
    throw new HttpError(
      400,
      'INVALID_REFERENCE',
      `model name ${JSON.stringify(params.name)} holds a version and the path gives another; give the version once`,
    );
  }
  return `${params.name}@${params.version}`;
}

const modelErrors = errorResponses([400, 404, 414], bareErrorBodySchema);

export function openInferenceRoutes(context: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    installInferenceErrors(app);
    installInferenceBodyParser(app);
    await app.register(async (v2) => installInferenceNotFound(v2), { prefix: '/v2' });

    const server = serverMetadata();
    const serverSchema = { response: { 200: serverMetadataSchema, ...errorResponses([], bareErrorBodySchema) } };
    app.get('/v2', { schema: serverSchema }, async () => server);
    // The protocol's own OpenAPI document spells it with the slash.
    app.get('/v2/', { schema: { ...serverSchema, hide: true } }, async () => server);

    for (const [path, params] of [
      ['/v2/models/:name', nameParams],
      ['/v2/models/:name/versions/:version', versionParams],
    ] as const) {
      app.get(path, { schema: { params, response: { 200: modelMetadataSchema, ...modelErrors } } }, async (request) => {
        const ensemble = await context.registry.resolve(request.tenant, reference(request.params));
        const versions = await context.registry.versions(request.tenant, ensemble.name);
        return modelMetadata(
          ensemble,
          versions.map((v) => v.version),
        );
      });

      // A registered version is ready: its content is stored, and any worker compiles it on first use.
      app.get(`${path}/ready`, { schema: { params, response: { 200: modelReadySchema, ...modelErrors } } }, async (request) => {
        const ensemble = await context.registry.resolve(request.tenant, reference(request.params));
        return { name: ensemble.name, ready: true };
      });

      app.post(
        `${path}/infer`,
        {
          schema: {
            description:
              'JSON, or with Inference-Header-Content-Length a JSON header followed by binary tensor data (binary tensor data extension). ' +
              'Outputs asked for with parameters.binary_data answer as application/octet-stream: the JSON header, then their bytes.',
            params,
            body: inferRequestSchema,
            response: { 200: inferResponseSchema, ...errorResponses([400, 404, 413, 414, 415, 500, 504], bareErrorBodySchema) },
          },
        },
        async (request, reply) => {
          const plan = planOutputs(request.body.parameters, request.body.outputs);
          const input = inputTensor(request.body.inputs, binaryTensorData(request));
          const { resultFile, ...view } = await submitPrediction(
            context,
            {
              tenant: request.tenant,
              ensemble: reference(request.params),
              input,
              options: plan.options,
              clientGone: clientGoneSignal(reply),
            },
            context.config.MAX_WAIT_SECONDS,
            'file',
          );
          if (view.status === 'failed') throw new HttpError(500, 'JOB_FAILED', `the prediction failed: ${view.error ?? 'unknown reason'}`);
          if (view.status !== 'completed') {
            throw new HttpError(
              504,
              'JOB_TIMEOUT',
              `the prediction did not finish within ${context.config.MAX_WAIT_SECONDS} s; it continues as job ${view.id}`,
            );
          }
          if (!resultFile)
            throw new HttpError(500, 'RESULT_EXPIRED', `the result of job ${view.id} is gone: ${view.error ?? 'not stored'}`);
          const answer = inferenceResponse(
            { id: request.body.id, modelName: view.ensemble.name, modelVersion: view.ensemble.version, resultFile },
            plan,
          );
          if (answer.kind === 'json') return answer.body;
          return reply
            .status(200)
            .header(HEADER_LENGTH_HEADER, answer.headerLength)
            .header('content-type', 'application/octet-stream')
            .send(answer.body);
        },
      );
    }
  };
}
