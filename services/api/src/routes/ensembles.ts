/** `/v1/ensembles`: register (multipart upload), list, show and delete ensembles. */

import { importOnnxMembers, isOnnxModel, parseManifest, writeStackedEnsemble } from '@ensembles/core';
import { type EnsembleInfo, ensembleDetailSchema, ensembleListSchema, registeredEnsembleSchema } from '@ensembles/protocol';
import type { EnsembleVersionInfo } from '@ensembles/registry';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../app-context.js';
import { errorResponses } from '../error-responses.js';
import { HttpError } from '../http-errors.js';

function describe(info: EnsembleVersionInfo): EnsembleInfo {
  const { name, version, digest, members, parameters, bytes, createdAt } = info;
  return { name, version, digest, members, parameters, bytes, createdAt };
}

const nameParams = z.object({ name: z.string().min(1).max(128) });

export function ensembleRoutes(context: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/v1/ensembles',
      {
        schema: {
          summary:
            'Register an ensemble: multipart `manifest` (JSON) and one `weights` file (stacked safetensors) or several `member` files (safetensors state dicts); or one ONNX `member` file per member and a `name` (the manifest then comes from the ONNX graph)',
          consumes: ['multipart/form-data'],
          response: { 201: registeredEnsembleSchema, ...errorResponses([400, 406, 413, 415]) },
        },
      },
      async (request, reply) => {
        if (!request.isMultipart())
          throw new HttpError(415, 'UPLOAD_INVALID', 'send multipart/form-data with a manifest and weights or member files');
        let manifest: unknown;
        let name: string | undefined;
        let weights: Uint8Array | undefined;
        const members: { name: string; bytes: Uint8Array }[] = [];
        try {
          for await (const part of request.parts({ limits: { fileSize: context.config.MAX_UPLOAD_BYTES } })) {
            const content = part.type === 'file' ? await part.toBuffer() : Buffer.from(String(part.value));
            if (part.fieldname === 'manifest') manifest = parseJson(content);
            else if (part.fieldname === 'name') name = content.toString('utf8');
            else if (part.fieldname === 'weights') weights = content;
            else if (part.fieldname === 'member') {
              const filename = part.type === 'file' && part.filename ? part.filename : `member ${members.length}`;
              members.push({ name: filename, bytes: content });
            } else
              throw new HttpError(400, 'UPLOAD_INVALID', `unexpected field "${part.fieldname}": send manifest, name, weights or member`);
          }
        } catch (error) {
          throw malformedUpload(error);
        }
        const onnxMembers = members.filter((member) => isOnnxModel(member.bytes));
        if (onnxMembers.length > 0) {
          if (weights) throw new HttpError(400, 'UPLOAD_INVALID', 'send either one weights file or member files, not both');
          const info = await context.registry.register(request.tenant, ...importUpload(manifest, name, members, onnxMembers.length));
          return reply.status(201).send({ ...describe(info), created: info.created });
        }
        if (manifest === undefined) throw new HttpError(400, 'UPLOAD_INVALID', 'the upload has no manifest');
        if (weights && members.length > 0)
          throw new HttpError(400, 'UPLOAD_INVALID', 'send either one weights file or member files, not both');
        if (!weights && members.length === 0)
          throw new HttpError(400, 'UPLOAD_INVALID', 'the upload has no weights file and no member files');
        const info = weights
          ? await context.registry.register(request.tenant, manifest, weights)
          : await context.registry.registerMembers(
              request.tenant,
              manifest,
              members.map((member) => member.bytes),
            );
        return reply.status(201).send({ ...describe(info), created: info.created });
      },
    );

    app.get('/v1/ensembles', { schema: { response: { 200: ensembleListSchema, ...errorResponses([]) } } }, async (request) => ({
      ensembles: (await context.registry.list(request.tenant)).map(describe),
    }));

    app.get(
      '/v1/ensembles/:name',
      {
        schema: {
          params: nameParams,
          response: { 200: ensembleDetailSchema, ...errorResponses([400, 404, 414]) },
        },
      },
      async (request) => {
        const latest = await context.registry.resolve(request.tenant, request.params.name);
        const versions = await context.registry.versions(request.tenant, latest.name);
        return { ...describe(latest), versions: versions.map(describe) };
      },
    );

    const deleteSchema = {
      params: nameParams,
      response: { 204: z.null().describe('Deleted'), ...errorResponses([400, 404, 414, 413, 415]) },
    };
    app.delete('/v1/ensembles/:name', { schema: deleteSchema }, async (request, reply) => {
      const deleted = await context.registry.delete(request.tenant, request.params.name);
      if (!deleted) throw new HttpError(404, 'ENSEMBLE_NOT_FOUND', `no ensemble named ${request.params.name}`);
      return reply.status(204).send(null);
    });
  };
}

/**
 * ONNX members (told from safetensors ones by their content) become one graph
 * manifest and one stacked weights file, registered like any upload. The
 * name comes from a `name` field or a manifest holding only a name.
 */
function importUpload(
  manifest: unknown,
  name: string | undefined,
  members: readonly { name: string; bytes: Uint8Array }[],
  onnxCount: number,
): [manifest: unknown, weights: Uint8Array] {
  if (onnxCount !== members.length) {
    throw new HttpError(400, 'UPLOAD_INVALID', `${onnxCount} of ${members.length} member files are ONNX models: send one kind`);
  }
  const given = manifest as Record<string, unknown> | undefined;
  if (given !== undefined && (typeof given !== 'object' || given === null || Object.keys(given).some((key) => key !== 'name'))) {
    throw new HttpError(
      400,
      'UPLOAD_INVALID',
      'with ONNX members the manifest comes from their graph: send only a name (a name field, or a manifest {"name": ...})',
    );
  }
  const ensembleName = name ?? (typeof given?.name === 'string' ? given.name : undefined);
  if (!ensembleName) throw new HttpError(400, 'UPLOAD_INVALID', 'the upload has ONNX members but no name: add a name field');
  const imported = importOnnxMembers(members, { name: ensembleName });
  const architecture = parseManifest(imported.manifest);
  return [imported.manifest, writeStackedEnsemble({ architecture, parameters: imported.parameters })];
}

/** The multipart parser's own errors (no boundary, a cut-off body, a bad part header) carry no status: they are the client's. */
function malformedUpload(error: unknown): unknown {
  if (error instanceof HttpError || typeof (error as { statusCode?: unknown }).statusCode === 'number') return error;
  return new HttpError(400, 'UPLOAD_INVALID', `the multipart body is malformed: ${(error as Error).message}`);
}

function parseJson(content: Buffer): unknown {
  try {
    return JSON.parse(content.toString('utf8'));
  } catch (error) {
    throw new HttpError(400, 'UPLOAD_INVALID', `the manifest is not valid JSON: ${(error as Error).message}`);
  }
}
