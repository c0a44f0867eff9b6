/**
 * The Open Inference Protocol's error answers, for the routes of one plugin:
 * `{ "error": "..." }` with the status the API gives the error elsewhere,
 * and a message that names the field, input or output at fault (a request
 * that breaks the schema lists each bad field by path).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { HttpError, toHttpError } from '../http-errors.js';

/** Fields listed in one message, at most: a body wrong everywhere still gets a short answer. */
const MAX_FIELDS = 8;

/** `/inputs/0/shape/1` in the body → `inputs[0].shape[1]`; a path parameter → `path parameter name`. */
function fieldName(context: string | undefined, instancePath: string): string {
  const parts = instancePath.split('/').filter(Boolean);
  const path = parts.map((part, index) => (/^\d+$/.test(part) ? `[${part}]` : `${index > 0 ? '.' : ''}${part}`)).join('');
  if (context === 'params') return `path parameter ${path}`;
  if (context === 'body') return path || 'the body';
  return [context, path].filter(Boolean).join('.');
}

/** The status and message of `error`, as this protocol answers it. */
export function inferenceError(error: unknown): { status: number; message: string } {
  if (hasZodFastifySchemaValidationErrors(error)) {
    const fields = error.validation.map(
      (issue) => `${fieldName(error.validationContext, String(issue.instancePath))}: ${issue.message ?? 'invalid'}`,
    );
    const more = fields.length > MAX_FIELDS ? `; and ${fields.length - MAX_FIELDS} more` : '';
    return { status: 400, message: `${fields.slice(0, MAX_FIELDS).join('; ')}${more}` };
  }
  const { status, body } = toHttpError(error);
  return { status, message: body.error.message };
}

function sendInferenceError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { status, message } = inferenceError(error);
  if (status >= 500) request.log.error({ err: error }, 'request failed');
  if (error instanceof HttpError) reply.headers(error.headers);
  return reply.status(status).type('application/json; charset=utf-8').send({ error: message });
}

/** Answers the errors of `app`'s routes (an encapsulated plugin) in the protocol's form. */
export function installInferenceErrors(app: FastifyInstance): void {
  app.setErrorHandler(sendInferenceError);
}

/** Answers a path under `/v2` that is no route in the protocol's form (register within a `/v2` prefix). */
export function installInferenceNotFound(app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ error: `no route ${request.method} ${request.url.split('?')[0]}; see the Open Inference Protocol's routes` }),
  );
}
