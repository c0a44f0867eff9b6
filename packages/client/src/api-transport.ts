/**
 * One call to the API: the request sent with `fetch`, tried again while the
 * retry policy allows (a connection that failed, a 503, a 429 with
 * `Retry-After`), an error answer turned into an `EnsembleApiError`, and a
 * successful one checked against its schema from `@ensembles/protocol`.
 */
import { type ErrorIssue, errorBodySchema } from '@ensembles/protocol';
import type { z } from 'zod';
import { ConnectionFailedError, EnsembleApiError, UnexpectedAnswerError } from './errors.js';
import { isRetryableStatus, type RetryPolicy, retryAfterMs, retryDelayMs, sleep } from './retry-policy.js';

/** `fetch`, or anything that answers like it (a wrapper that logs, a test's fake). */
export type FetchFunction = (url: string, init: RequestInit) => Promise<Response>;

export interface ApiRequest {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** The path under the base URL, `/v1/...`, its parameters already encoded. */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Sent as it is on every try: a string or a `FormData`, both of which can be sent again. */
  readonly body?: string | FormData;
  readonly signal?: AbortSignal | undefined;
}

export interface ApiTransportOptions {
  readonly baseUrl: string;
  readonly fetch: FetchFunction;
  /** Sent with every request (`authorization`, ...). */
  readonly headers: Readonly<Record<string, string>>;
  readonly retry: RetryPolicy;
}

export class ApiTransport {
  constructor(private readonly options: ApiTransportOptions) {}

  /** Sends `request` until it succeeds or may not be tried again; resolves with the successful (2xx) answer, its body unread. */
  send(request: ApiRequest): Promise<Response> {
    return this.exchange(request, async (response) => response);
  }

  /** Sends `request` and reads its answer as JSON, checked against `schema`. */
  async json<Schema extends z.ZodType>(request: ApiRequest, schema: Schema): Promise<z.infer<Schema>> {
    const what = `${request.method} ${request.path}`;
    const text = await this.exchange(request, (response) => response.text());
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new UnexpectedAnswerError(`the answer to ${what} is not JSON: ${text.slice(0, 200)}`, [], { cause: error });
    }
    return parseAnswer(schema, value, what);
  }

  /**
   * The request sent, and a successful answer read with `read`, tried again
   * while the policy allows: a connection that fails while the answer is
   * read counts as one that failed to connect.
   */
  private async exchange<T>(request: ApiRequest, read: (response: Response) => Promise<T>): Promise<T> {
    const { signal } = request;
    const url = `${this.options.baseUrl}${request.path}`;
    const init: RequestInit = {
      method: request.method,
      headers: { accept: 'application/json', ...this.options.headers, ...request.headers },
      ...(request.body === undefined ? {} : { body: request.body }),
      ...(signal ? { signal } : {}),
    };
    for (let retry = 0; ; retry += 1) {
      let error: EnsembleApiError | ConnectionFailedError;
      try {
        const response = await this.options.fetch(url, init);
        if (response.ok) return await read(response);
        error = await errorFromAnswer(response);
      } catch (failure) {
        if (signal?.aborted) throw signal.reason;
        const tries = retry + 1;
        const reason = failure instanceof Error ? failure.message : String(failure);
        error = new ConnectionFailedError(`${request.method} ${url} failed${tries > 1 ? ` ${tries} times` : ''}: ${reason}`, {
          cause: failure,
        });
      }
      const delay =
        error instanceof ConnectionFailedError
          ? retryDelayMs(retry, this.options.retry, undefined)
          : isRetryableStatus(error.status, error.retryAfterMs)
            ? retryDelayMs(retry, this.options.retry, error.retryAfterMs)
            : undefined;
      if (delay === undefined) throw error;
      await sleep(delay, signal);
    }
  }
}

/**
 * The error an answer says: the API's error body (`{ error: { code, message,
 * issues?, moreIssues? } }`) when it has one, else `HTTP_ERROR` with the
 * start of its text.
 */
export async function errorFromAnswer(response: Response): Promise<EnsembleApiError> {
  const text = await response.text().catch(() => '');
  const retryAfter = retryAfterMs(response.headers.get('retry-after'));
  const body = errorBodySchema.safeParse(parseJsonOrUndefined(text));
  if (body.success) {
    const { code, message, issues, moreIssues } = body.data.error;
    return new EnsembleApiError({ status: response.status, code, message, issues, moreIssues, retryAfterMs: retryAfter });
  }
  const excerpt = text.trim().slice(0, 200);
  return new EnsembleApiError({
    status: response.status,
    code: 'HTTP_ERROR',
    message: `${response.status} ${response.statusText || 'error'}${excerpt ? `: ${excerpt}` : ''}`,
    retryAfterMs: retryAfter,
  });
}

/** `value` checked against `schema`; an `UnexpectedAnswerError` listing each mismatch by path otherwise. */
export function parseAnswer<Schema extends z.ZodType>(schema: Schema, value: unknown, what: string): z.infer<Schema> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues: ErrorIssue[] = parsed.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
  const listed = issues
    .slice(0, 5)
    .map((issue) => `${issue.path || '(the answer)'}: ${issue.message}`)
    .join('; ');
  throw new UnexpectedAnswerError(`the answer to ${what} is not what the API documents: ${listed}`, issues, { cause: parsed.error });
}

function parseJsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
