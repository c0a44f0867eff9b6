/** Error answers and unexpected answers, as the client reports them. */
import { jobViewSchema } from '@ensembles/protocol';
import { describe, expect, it } from 'vitest';
import { ApiTransport, errorFromAnswer } from './api-transport.js';
import { EnsembleApiError, UnexpectedAnswerError } from './errors.js';
import { DEFAULT_RETRY } from './retry-policy.js';
import { errorAnswer, fakeFetch, jobAnswer, jsonAnswer } from './testing/fake-fetch.js';

describe('errorFromAnswer', () => {
  it('carries the API error body: status, code, message, issues and how many more', async () => {
    const issues = [{ path: 'body.input.data.0', message: 'Invalid input: expected number, received string' }];
    const error = await errorFromAnswer(
      errorAnswer(400, 'REQUEST_INVALID', 'the request is invalid (21 problems)', { issues, moreIssues: 1 }),
    );
    expect(error).toBeInstanceOf(EnsembleApiError);
    expect(error).toMatchObject({ name: 'EnsembleApiError', status: 400, code: 'REQUEST_INVALID', issues, moreIssues: 1 });
    expect(error.message).toBe('the request is invalid (21 problems)');
  });

  it('has no issues when the body lists none, and reads Retry-After', async () => {
    const error = await errorFromAnswer(errorAnswer(429, 'QUEUE_FULL', '100000 jobs are waiting', {}, { 'retry-after': '1' }));
    expect(error).toMatchObject({ status: 429, code: 'QUEUE_FULL', issues: [], moreIssues: 0, retryAfterMs: 1_000 });
  });

  it('names an answer without the API error body HTTP_ERROR, with the start of its text', async () => {
    const error = await errorFromAnswer(new Response('<html>Bad Gateway</html>', { status: 502, statusText: 'Bad Gateway' }));
    expect(error).toMatchObject({ status: 502, code: 'HTTP_ERROR', message: '502 Bad Gateway: <html>Bad Gateway</html>' });
    const empty = await errorFromAnswer(new Response(null, { status: 500 }));
    expect(empty).toMatchObject({ status: 500, code: 'HTTP_ERROR', message: '500 error' });
  });
});

describe('ApiTransport.json', () => {
  const transport = (...answers: Parameters<typeof fakeFetch>) =>
    new ApiTransport({ baseUrl: 'http://api', fetch: fakeFetch(...answers).fetch, headers: {}, retry: DEFAULT_RETRY });

  it('checks a successful answer against its schema', async () => {
    await expect(
      transport(jsonAnswer(200, jobAnswer('queued'))).json({ method: 'GET', path: '/v1/jobs/x' }, jobViewSchema),
    ).resolves.toMatchObject({ status: 'queued' });
  });

  it('refuses an answer that does not match the schema, naming each mismatch by path', async () => {
    const answer = jsonAnswer(200, { ...jobAnswer('queued'), status: 'sleeping', timings: undefined });
    const failure = await transport(answer)
      .json({ method: 'GET', path: '/v1/jobs/x' }, jobViewSchema)
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(UnexpectedAnswerError);
    expect(failure).toMatchObject({ code: 'ANSWER_INVALID' });
    expect((failure as UnexpectedAnswerError).issues.map((issue) => issue.path)).toEqual(['status', 'timings']);
    expect((failure as Error).message).toMatch(/^the answer to GET \/v1\/jobs\/x is not what the API documents: status: /);
  });

  it('refuses an answer that is not JSON', async () => {
    const failure = transport(new Response('<html>', { status: 200 })).json({ method: 'GET', path: '/v1/workers' }, jobViewSchema);
    await expect(failure).rejects.toThrow(/the answer to GET \/v1\/workers is not JSON: <html>/);
  });
});
