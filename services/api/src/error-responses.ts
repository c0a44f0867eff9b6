/**
 * The error answers each route declares, so that the OpenAPI document lists
 * every status a route can answer with, and its body: `{ error: { code,
 * message, issues?, moreIssues? } }`, or `{ error: "..." }` on the Open
 * Inference Protocol (both in `@ensembles/protocol`).
 */
import { errorBodySchema } from '@ensembles/protocol';
import type { z } from 'zod';

const meanings = {
  400: 'The request is invalid: bad JSON, a bad field (each listed by path), or an input that does not fit the ensemble',
  401: 'No valid API key (authentication on)',
  404: 'No such ensemble, version or job for this tenant',
  406: 'The upload is not multipart/form-data',
  409: 'The job has started or finished and can no longer be cancelled',
  413: 'The body or an uploaded file is over its limit (MAX_BODY_BYTES, MAX_UPLOAD_BYTES)',
  414: 'A path parameter is over 1000 characters',
  415: 'The content type is not one this route accepts',
  422: 'The Idempotency-Key was used before for a different request (IDEMPOTENCY_KEY_REUSED): use a new key, or repeat that request exactly',
  429: 'Too many requests: the queue is full (QUEUE_FULL) or the rate limit is reached (RATE_LIMITED); see Retry-After',
  500: 'The prediction failed in the worker',
  503: 'Redis does not answer (REDIS_UNAVAILABLE) or is full (REDIS_OUT_OF_MEMORY); retry shortly',
  504: 'The prediction did not finish in time; it continues as a job',
} as const;

export type ErrorStatus = keyof typeof meanings;

/** Every route that acts as a tenant can answer these: no key, rate limited, Redis away. */
const tenantErrors = [401, 429, 503] as const;

/**
 * The response schemas of `statuses` (plus 401, 429 and 503, which every
 * tenant route can answer), for a route's `schema.response`.
 *
 * @example
 * response: { 200: jobViewSchema, ...errorResponses([400, 404]) }
 */
export function errorResponses<Body extends z.ZodType = typeof errorBodySchema>(
  statuses: readonly ErrorStatus[],
  body: Body = errorBodySchema as unknown as Body,
): Partial<Record<ErrorStatus, Body>> {
  const all = [...new Set([...statuses, ...tenantErrors])].sort();
  return Object.fromEntries(all.map((status) => [status, body.describe(meanings[status])]));
}
