/**
 * What the client throws, each with a stable `code`: the API's own errors
 * (`EnsembleApiError`, with its status, code, message and the bad fields by
 * path), a prediction job that failed, a service that could not be reached,
 * and an answer that is not what the API documents. An aborted call rejects
 * with its signal's reason, as `fetch` does.
 */
import type { ErrorIssue, JobView } from '@ensembles/protocol';

/** Every error the client throws: a stable machine code, and the error it came from as `cause`. */
export class EnsembleClientError extends Error {
  constructor(
    /** A stable machine code: the API's (`ENSEMBLE_NOT_FOUND`, `INPUT_INVALID`, ...) or the client's own. */
    readonly code: string,
    message: string,
    options?: { readonly cause?: unknown },
  ) {
    super(message, options);
    this.name = this.constructor.name;
  }
}

export interface EnsembleApiErrorDetails {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly issues?: readonly ErrorIssue[] | undefined;
  readonly moreIssues?: number | undefined;
  readonly retryAfterMs?: number | undefined;
}

/**
 * An error answer of the API: its HTTP status and the body's code, message
 * and issues. An answer without the API's error body (a proxy's 502 page)
 * has the code `HTTP_ERROR` and the start of its text as the message.
 *
 * @example
 * try {
 *   await client.predict('mnist-mlp', { input });
 * } catch (error) {
 *   if (error instanceof EnsembleApiError && error.code === 'INPUT_INVALID') console.error(error.message);
 *   else throw error;
 * }
 */
export class EnsembleApiError extends EnsembleClientError {
  readonly status: number;
  /** Each bad field by path (the first 20 the API found); empty when the error is not about fields. */
  readonly issues: readonly ErrorIssue[];
  /** How many more bad fields the API found than `issues` lists. */
  readonly moreIssues: number;
  /** What the answer's `Retry-After` asked for, in milliseconds. */
  readonly retryAfterMs: number | undefined;

  constructor(details: EnsembleApiErrorDetails) {
    super(details.code, details.message);
    this.status = details.status;
    this.issues = details.issues ?? [];
    this.moreIssues = details.moreIssues ?? 0;
    this.retryAfterMs = details.retryAfterMs;
  }
}

/**
 * A prediction job that ended without a result: it failed in the worker
 * (`JOB_FAILED`, the worker's message), or it completed but its result has
 * expired (`RESULT_EXPIRED`: results are kept for `RESULT_TTL_SECONDS`, and
 * only the newest `RESULT_KEEP_JOBS`). `job` is the job as the API showed it.
 */
export class JobFailedError extends EnsembleClientError {
  constructor(readonly job: JobView) {
    super(job.status === 'completed' ? 'RESULT_EXPIRED' : 'JOB_FAILED', failureMessage(job));
  }
}

function failureMessage(job: JobView): string {
  if (job.status === 'completed') {
    return `job ${job.id} completed, but its result is no longer kept (${job.error ?? 'no result'}); submit the prediction again`;
  }
  return `job ${job.id} failed: ${job.error ?? 'no reason given'}`;
}

/** The service could not be reached, or the connection broke, on every try (`CONNECTION_FAILED`); `cause` is the last failure. */
export class ConnectionFailedError extends EnsembleClientError {
  constructor(message: string, options?: { readonly cause?: unknown }) {
    super('CONNECTION_FAILED', message, options);
  }
}

/**
 * A successful answer that is not what the API documents (`ANSWER_INVALID`):
 * not JSON, or not matching its schema; the mismatches by path. A client
 * talking to something other than this API, or to a version that changed.
 */
export class UnexpectedAnswerError extends EnsembleClientError {
  constructor(
    message: string,
    readonly issues: readonly ErrorIssue[] = [],
    options?: { readonly cause?: unknown },
  ) {
    super('ANSWER_INVALID', message, options);
  }
}
