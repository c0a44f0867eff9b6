/**
 * The one place that turns errors into HTTP answers: a status, a stable code,
 * a message that names the problem, and the bad fields by path (at most
 * `MAX_LISTED_ISSUES` of them, the rest counted in `moreIssues`, so that a
 * body wrong everywhere gets a short answer on every face of the API).
 */
import { EnsembleError, ValidationError, type ValidationIssue } from '@ensembles/core';
import { type ErrorBody, MAX_LISTED_ISSUES } from '@ensembles/protocol';
import { RegistryError } from '@ensembles/registry';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';

/** An error the API raises itself, with its status and code. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    /** Extra response headers, e.g. `Retry-After`. */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = this.constructor.name;
  }
}

const ensembleErrorStatus: Record<EnsembleError['code'], number> = {
  SAFETENSORS_BAD_HEADER: 400,
  SAFETENSORS_BAD_TENSOR: 400,
  SAFETENSORS_UNSUPPORTED_DTYPE: 400,
  SAFETENSORS_WRONG_FORMAT: 400,
  MANIFEST_INVALID: 400,
  PARAMETERS_INVALID: 400,
  MEMBERS_MISMATCH: 400,
  ONNX_IMPORT_INVALID: 400,
  INPUT_INVALID: 400,
  COMBINE_INVALID: 400,
  // A stored result that does not read back is the service's fault, not the caller's.
  RESULT_INVALID: 500,
  ENGINE_FAILED: 500,
};

export function toHttpError(error: unknown): { status: number; body: ErrorBody } {
  if (error instanceof HttpError) return { status: error.statusCode, body: { error: { code: error.code, message: error.message } } };
  if (hasZodFastifySchemaValidationErrors(error)) {
    const issues = error.validation.map((issue) => ({
      path: [error.validationContext, ...String(issue.instancePath).split('/').filter(Boolean)].join('.'),
      message: issue.message ?? 'invalid',
    }));
    const message = `the request is invalid${issues.length > MAX_LISTED_ISSUES ? ` (${issues.length} problems)` : ''}`;
    return { status: 400, body: { error: { code: 'REQUEST_INVALID', message, ...listed(issues) } } };
  }
  if (error instanceof ValidationError) {
    return {
      status: ensembleErrorStatus[error.code],
      body: { error: { code: error.code, message: shortMessage(error), ...listed(error.issues) } },
    };
  }
  if (error instanceof EnsembleError)
    return { status: ensembleErrorStatus[error.code], body: { error: { code: error.code, message: error.message } } };
  if (error instanceof RegistryError) {
    return { status: error.code === 'ENSEMBLE_NOT_FOUND' ? 404 : 400, body: { error: { code: error.code, message: error.message } } };
  }
  if (isRedisOutOfMemory(error)) {
    return {
      status: 503,
      body: {
        error: {
          code: 'REDIS_OUT_OF_MEMORY',
          message: 'the queue store (Redis) is full and accepts no new data; retry once jobs have drained',
        },
      },
    };
  }
  if (isRedisUnavailable(error)) {
    return {
      status: 503,
      body: { error: { code: 'REDIS_UNAVAILABLE', message: 'the queue store (Redis) does not answer; retry shortly' } },
    };
  }
  const fastifyError = error as FastifyError;
  if (fastifyError.statusCode === 413 || fastifyError.code === 'FST_REQ_FILE_TOO_LARGE') {
    return { status: 413, body: { error: { code: 'PAYLOAD_TOO_LARGE', message: fastifyError.message } } };
  }
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode < 500) {
    return {
      status: fastifyError.statusCode,
      body: { error: { code: fastifyError.code ?? 'BAD_REQUEST', message: fastifyError.message } },
    };
  }
  return { status: 500, body: { error: { code: 'INTERNAL', message: 'internal error' } } };
}

/** The first `MAX_LISTED_ISSUES` issues, and how many more there are (only when there are more). */
function listed(issues: readonly ValidationIssue[]): Pick<ErrorBody['error'], 'issues' | 'moreIssues'> {
  if (issues.length <= MAX_LISTED_ISSUES) return { issues: [...issues] };
  return { issues: issues.slice(0, MAX_LISTED_ISSUES), moreIssues: issues.length - MAX_LISTED_ISSUES };
}

/**
 * A validation error's message lists every problem, one a line: past
 * `MAX_LISTED_ISSUES`, the first ones and a count, as the body's issues.
 */
function shortMessage(error: ValidationError): string {
  if (error.issues.length <= MAX_LISTED_ISSUES) return error.message;
  const lines = error.message.split('\n');
  return [...lines.slice(0, 1 + MAX_LISTED_ISSUES), `  - ... and ${error.issues.length - MAX_LISTED_ISSUES} more`].join('\n');
}

/** Answers `error` with its status and JSON body, for the error handler and for the router's own errors. */
export function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { status, body } = toHttpError(error);
  if (status >= 500) request.log.error({ err: error }, 'request failed');
  if (error instanceof HttpError) reply.headers(error.headers);
  // The Open Inference Protocol's errors are a bare message.
  if (request.url.startsWith('/v2/models')) return reply.status(status).send({ error: body.error.message });
  return reply.status(status).send(body);
}

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler(sendError);
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ error: { code: 'NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}` } }),
  );
}

/** Redis refusing a write because it reached `maxmemory` and evicts nothing (`noeviction`), in a command or a script. */
function isRedisOutOfMemory(error: unknown): boolean {
  return error instanceof Error && /^(ERR )?OOM |\bOOM command not allowed\b/.test(error.message);
}

/**
 * ioredis' ways of saying the connection is gone (it has no error class for them), and Redis' own while a
 * cluster or a Sentinel failover moves a primary (`CLUSTERDOWN`, `TRYAGAIN`, `READONLY`, `LOADING`, `MASTERDOWN`).
 */
function isRedisUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'MaxRetriesPerRequestError' || error.name === 'ClusterAllFailedError') return true;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED' || code === 'ECONNRESET') return true;
  return /Stream isn't writeable|Connection is closed|Cluster isn't ready|^(CLUSTERDOWN|TRYAGAIN|READONLY|LOADING|MASTERDOWN) /.test(
    error.message,
  );
}
