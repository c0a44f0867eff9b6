/**
 * The client against a scripted `fetch`: retries and their backoff, the one
 * Idempotency-Key a prediction keeps across its tries, waiting and polling,
 * errors, uploads, and event streams that break.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EnsembleClient, type JobEvent } from './ensemble-client.js';
import { ConnectionFailedError, EnsembleApiError, JobFailedError, UnexpectedAnswerError } from './errors.js';
import { errorAnswer, eventStreamAnswer, fakeFetch, jobAnswer, jsonAnswer, type ScriptedAnswer, sse } from './testing/fake-fetch.js';

const input = { shape: [1, 3], data: Float32Array.of(1, 2, 3) };
const fastRetry = { retries: 3, minDelayMs: 1, maxDelayMs: 5_000 };

function clientWith(...answers: ScriptedAnswer[]) {
  const fake = fakeFetch(...answers);
  const client = new EnsembleClient({ baseUrl: 'http://api.test/', apiKey: 'k1', fetch: fake.fetch, retry: fastRetry });
  return { client, requests: fake.requests };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('the client', () => {
  it("keeps a base URL's path, and refuses one that is neither an http(s) URL nor a path", async () => {
    const fake = fakeFetch(jsonAnswer(200, { workers: [] }));
    await expect(new EnsembleClient({ baseUrl: 'https://host/ensembles/', fetch: fake.fetch }).listWorkers()).resolves.toEqual([]);
    expect(fake.requests[0]?.url).toBe('https://host/ensembles/v1/workers');
    expect(fake.requests[0]?.headers.get('authorization')).toBeNull();
    expect(() => new EnsembleClient({ baseUrl: 'localhost:3000' })).toThrow(/baseUrl must be an http\(s\) URL/);
  });
});

describe('retries', () => {
  it('tries a submission again after a failed connection, with the same Idempotency-Key and body', async () => {
    const { client, requests } = clientWith(new TypeError('fetch failed'), jsonAnswer(200, jobAnswer('completed')));
    const job = await client.predict('tiny', { input, combine: 'mean' });
    expect(job.result.members.shape).toEqual([2, 1, 2]);
    expect(requests).toHaveLength(2);
    const [first, second] = requests;
    const key = first?.headers.get('idempotency-key');
    expect(key).toMatch(/^[0-9a-f-]{36}$/);
    expect(second?.headers.get('idempotency-key')).toBe(key);
    expect(second?.body).toBe(first?.body);
    expect(JSON.parse(String(first?.body))).toEqual({ combine: 'mean', input: { shape: [1, 3], data: [1, 2, 3] } });
    expect(first?.url).toBe('http://api.test/v1/ensembles/tiny/predictions');
    expect(first?.headers.get('prefer')).toBe('wait=30');
    expect(first?.headers.get('authorization')).toBe('Bearer k1');
  });

  it('gives every prediction a key of its own, or the one it is given', async () => {
    const { client, requests } = clientWith(...[1, 2, 3].map(() => jsonAnswer(202, jobAnswer('queued'))));
    await client.submitPrediction('tiny', { input });
    await client.submitPrediction('tiny', { input });
    await client.submitPrediction('tiny', { input }, { idempotencyKey: 'order-17' });
    const keys = requests.map((request) => request.headers.get('idempotency-key'));
    expect(new Set(keys).size).toBe(3);
    expect(keys[2]).toBe('order-17');
    expect(requests[0]?.headers.get('prefer')).toBeNull();
  });

  it('tries again after a 503, and after a 429 once its Retry-After has passed', async () => {
    vi.useFakeTimers();
    const { client, requests } = clientWith(
      errorAnswer(503, 'REDIS_UNAVAILABLE', 'the queue store (Redis) does not answer; retry shortly'),
      errorAnswer(429, 'QUEUE_FULL', '100000 jobs are waiting', {}, { 'retry-after': '2' }),
      jsonAnswer(202, jobAnswer('queued')),
    );
    const submitted = client.submitPrediction('tiny', { input });
    await vi.advanceTimersByTimeAsync(10);
    expect(requests).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1_900);
    expect(requests).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(200);
    expect(requests).toHaveLength(3);
    await expect(submitted).resolves.toMatchObject({ status: 'queued' });
    expect(new Set(requests.map((request) => request.headers.get('idempotency-key'))).size).toBe(1);
  });

  it('does not try again a 429 without Retry-After, one asking for too long, or a client error', async () => {
    const noRetryAfter = clientWith(errorAnswer(429, 'RATE_LIMITED', 'too many requests'));
    await expect(noRetryAfter.client.listWorkers()).rejects.toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    expect(noRetryAfter.requests).toHaveLength(1);

    const tooLong = clientWith(errorAnswer(429, 'RATE_LIMITED', 'too many requests', {}, { 'retry-after': '60' }));
    await expect(tooLong.client.listWorkers()).rejects.toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: 60_000 });
    expect(tooLong.requests).toHaveLength(1);

    const reused = clientWith(errorAnswer(422, 'IDEMPOTENCY_KEY_REUSED', 'Idempotency-Key k was used for another request'));
    await expect(reused.client.submitPrediction('tiny', { input }, { idempotencyKey: 'k' })).rejects.toMatchObject({
      status: 422,
      code: 'IDEMPOTENCY_KEY_REUSED',
    });
    expect(reused.requests).toHaveLength(1);
  });

  it('gives up after its retries with ConnectionFailedError, the last failure as its cause', async () => {
    const down = new TypeError('fetch failed');
    const { client, requests } = clientWith(down, down, down, down);
    const failure = await client.listEnsembles().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ConnectionFailedError);
    expect(failure).toMatchObject({ code: 'CONNECTION_FAILED', cause: down });
    expect((failure as Error).message).toBe('GET http://api.test/v1/ensembles failed 4 times: fetch failed');
    expect(requests).toHaveLength(4);
  });

  it('tries once with retry: false', async () => {
    const fake = fakeFetch(errorAnswer(503, 'REDIS_UNAVAILABLE', 'down'));
    const client = new EnsembleClient({ baseUrl: 'http://api.test', fetch: fake.fetch, retry: false });
    await expect(client.listWorkers()).rejects.toMatchObject({ status: 503 });
    expect(fake.requests).toHaveLength(1);
  });

  it('stops waiting between tries when its signal aborts', async () => {
    const controller = new AbortController();
    const fake = fakeFetch(errorAnswer(429, 'QUEUE_FULL', 'full', {}, { 'retry-after': '5' }));
    const client = new EnsembleClient({ baseUrl: 'http://api.test', fetch: fake.fetch });
    const listed = client.listWorkers({ signal: controller.signal });
    setTimeout(() => controller.abort(new Error('the user left')), 20);
    await expect(listed).rejects.toThrow('the user left');
    expect(fake.requests).toHaveLength(1);
  });
});

describe('predictions', () => {
  it('reads a job that was not finished within the wait until it is', async () => {
    const { client, requests } = clientWith(
      jsonAnswer(202, jobAnswer('queued')),
      jsonAnswer(200, jobAnswer('active')),
      jsonAnswer(200, jobAnswer('completed')),
    );
    const job = await client.predict('tiny@abc', { input }, { waitSeconds: 1, pollIntervalMs: 1 });
    expect(job.status).toBe('completed');
    expect(requests.map((request) => `${request.method} ${request.url}`)).toEqual([
      'POST http://api.test/v1/ensembles/tiny%40abc/predictions',
      `GET http://api.test/v1/jobs/${job.id}`,
      `GET http://api.test/v1/jobs/${job.id}`,
    ]);
    expect(requests[0]?.headers.get('prefer')).toBe('wait=1');
  });

  it('throws JobFailedError with the job for a failed job, and for a result that has expired', async () => {
    const failed = clientWith(jsonAnswer(200, jobAnswer('failed', { error: 'engine failed: out of memory' })));
    const failure = await failed.client.predict('tiny', { input }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(JobFailedError);
    expect(failure).toMatchObject({ code: 'JOB_FAILED', job: { status: 'failed' } });
    expect((failure as Error).message).toMatch(/failed: engine failed: out of memory$/);

    const expired = clientWith(jsonAnswer(200, { ...jobAnswer('completed'), result: undefined, error: 'the result has expired' }));
    await expect(expired.client.waitForJob('x')).rejects.toMatchObject({ code: 'RESULT_EXPIRED' });
  });

  it('maps an error answer to EnsembleApiError with the API code', async () => {
    const { client } = clientWith(errorAnswer(404, 'ENSEMBLE_NOT_FOUND', 'no ensemble named nope'));
    const failure = await client.predict('nope', { input }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(EnsembleApiError);
    expect(failure).toMatchObject({ status: 404, code: 'ENSEMBLE_NOT_FOUND', message: 'no ensemble named nope' });
  });

  it('refuses a waitSeconds that is not a whole number', async () => {
    const { client, requests } = clientWith();
    await expect(client.predict('tiny', { input }, { waitSeconds: 1.5 })).rejects.toThrow(
      /waitSeconds must be a whole number >= 0, got 1.5/,
    );
    expect(requests).toHaveLength(0);
  });
});

describe('uploads', () => {
  it('sends the manifest and one member part per member file, in order', async () => {
    const registered = {
      name: 'tiny',
      version: 'v',
      digest: 'sha256:v',
      members: 2,
      parameters: 16,
      bytes: 64,
      createdAt: 1,
      created: true,
    };
    const { client, requests } = clientWith(jsonAnswer(201, registered));
    const manifest = { name: 'tiny', members: 2 };
    await expect(client.uploadEnsemble({ manifest, members: [Uint8Array.of(1), new Uint8Array([2, 3]).subarray(1)] })).resolves.toEqual(
      registered,
    );
    const form = requests[0]?.body as FormData;
    expect(await (form.get('manifest') as Blob).text()).toBe(JSON.stringify(manifest));
    const members = form.getAll('member') as File[];
    expect(members.map((member) => member.name)).toEqual(['member0.safetensors', 'member1.safetensors']);
    expect(await Promise.all(members.map(async (member) => [...new Uint8Array(await member.arrayBuffer())]))).toEqual([[1], [3]]);
    expect(form.has('weights')).toBe(false);
  });

  it('refuses an upload without member files before sending it', async () => {
    const { client, requests } = clientWith();
    await expect(client.uploadEnsemble({ manifest: '{}', members: [] })).rejects.toThrow(/members is empty/);
    expect(requests).toHaveLength(0);
  });
});

describe('event streams', () => {
  const path = `/v1/jobs/${jobAnswer('queued').id}/events`;

  it('yields each status once, opening the stream again when it breaks', async () => {
    const { client, requests } = clientWith(
      eventStreamAnswer([sse('status', jobAnswer('queued')), ': keep-alive\n\n'], new TypeError('terminated')),
      eventStreamAnswer([sse('status', jobAnswer('queued')), sse('status', jobAnswer('active')), sse('status', jobAnswer('completed'))]),
    );
    const statuses: string[] = [];
    for await (const event of client.streamJob(jobAnswer('queued').id)) {
      if (event.type === 'status') statuses.push(event.job.status);
    }
    expect(statuses).toEqual(['queued', 'active', 'completed']);
    expect(requests.map((request) => new URL(request.url).pathname)).toEqual([path, path]);
    expect(requests[0]?.headers.get('accept')).toBe('text/event-stream');
  });

  it('ends with an error event', async () => {
    const { client } = clientWith(
      eventStreamAnswer([sse('status', jobAnswer('queued')), sse('error', { error: 'job x was cancelled or has expired' })]),
    );
    const events: JobEvent[] = [];
    for await (const event of client.streamJob('x')) events.push(event);
    expect(events.map((event) => event.type)).toEqual(['status', 'error']);
    expect(events[1]).toEqual({ type: 'error', error: 'job x was cancelled or has expired' });
  });

  it('throws the API error of a job that is not found, and refuses an event it does not know', async () => {
    const missing = clientWith(errorAnswer(404, 'JOB_NOT_FOUND', 'no job x'));
    await expect(missing.client.streamJob('x').next()).rejects.toMatchObject({ status: 404, code: 'JOB_NOT_FOUND' });
    const odd = clientWith(eventStreamAnswer([sse('progress', { done: 0.5 })]));
    await expect(odd.client.streamJob('x').next()).rejects.toBeInstanceOf(UnexpectedAnswerError);
  });

  it('gives up on a stream that keeps ending before the job finishes', async () => {
    const queued = () => eventStreamAnswer([sse('status', jobAnswer('queued'))]);
    const { client, requests } = clientWith(queued(), queued(), queued(), queued(), queued());
    const events: JobEvent[] = [];
    await expect(async () => {
      for await (const event of client.streamJob('x')) events.push(event);
    }).rejects.toThrow(new ConnectionFailedError('the event stream of job x ended before the job finished, 4 times in a row'));
    expect(events).toHaveLength(1);
    expect(requests).toHaveLength(4);
  });
});
