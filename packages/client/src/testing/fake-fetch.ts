/** A scripted `fetch` for the client's tests: answers in order, and every request it was given. */
import type { FetchFunction } from '../api-transport.js';

export interface RecordedRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: Headers;
  readonly body: RequestInit['body'];
}

/** An answer: a response, an error to reject with (a failed connection), or a function of the request. */
export type ScriptedAnswer = Response | Error | ((request: RecordedRequest) => Response | Promise<Response>);

export interface FakeFetch {
  readonly fetch: FetchFunction;
  readonly requests: RecordedRequest[];
}

export function fakeFetch(...answers: ScriptedAnswer[]): FakeFetch {
  const requests: RecordedRequest[] = [];
  const fetch: FetchFunction = async (url, init) => {
    const request = { url, method: init.method ?? 'GET', headers: new Headers(init.headers), body: init.body };
    requests.push(request);
    const answer = answers.shift();
    if (answer === undefined) throw new Error(`unexpected request ${request.method} ${url}: no answer left`);
    if (answer instanceof Error) throw answer;
    return typeof answer === 'function' ? answer(request) : answer;
  };
  return { fetch, requests };
}

export function jsonAnswer(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}

export function errorAnswer(status: number, code: string, message: string, extra: object = {}, headers: Record<string, string> = {}) {
  return jsonAnswer(status, { error: { code, message, ...extra } }, headers);
}

/** A job view as the API shows it. */
export function jobAnswer(status: 'queued' | 'active' | 'completed' | 'failed', extra: object = {}) {
  return {
    id: '0b9c6c8e-6d3c-4a1f-9d43-3f2b2a1e5c77',
    url: '/v1/jobs/0b9c6c8e-6d3c-4a1f-9d43-3f2b2a1e5c77',
    status,
    ensemble: { name: 'tiny', version: 'a'.repeat(64) },
    timings: {},
    ...(status === 'completed' ? { result: { members: { shape: [2, 1, 2], data: [1, 2, 3, 4] } } } : {}),
    ...extra,
  };
}

/** A `text/event-stream` answer whose body arrives in the given chunks, then ends (or breaks, with `breakWith`). */
export function eventStreamAnswer(chunks: readonly string[], breakWith?: Error): Response {
  const encoder = new TextEncoder();
  const pending = [...chunks];
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const chunk = pending.shift();
      if (chunk !== undefined) controller.enqueue(encoder.encode(chunk));
      else if (breakWith) controller.error(breakWith);
      else controller.close();
    },
  });
  return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
}

/** One server-sent event's text. */
export function sse(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
