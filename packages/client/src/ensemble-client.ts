/**
 * The typed client of the deep-ensembles REST API: register ensembles,
 * predict (waiting for the result, or submitting and following the job),
 * cancel, and list ensembles and workers. Requests and answers are typed by
 * the API's own schemas (`@ensembles/protocol`) and answers are checked
 * against them; error answers become `EnsembleApiError`s with the API's
 * code. Calls are tried again on a failed connection, a 503 or a 429 with
 * `Retry-After`; a prediction keeps one `Idempotency-Key` across its tries,
 * so that a submission whose answer was lost returns the job it created.
 * Web APIs only (`fetch`, `FormData`, `Blob`, `TextDecoder`,
 * `crypto.randomUUID`, `AbortSignal`): Node 20+ and browsers alike.
 */
import {
  type EnsembleDetail,
  type EnsembleInfo,
  ensembleDetailSchema,
  ensembleListSchema,
  type JobView,
  jobErrorEventSchema,
  jobViewSchema,
  type PredictionRequest,
  type PredictionResultJson,
  type RegisteredEnsemble,
  registeredEnsembleSchema,
  type WorkerAnnouncement,
  workerListSchema,
} from '@ensembles/protocol';
import { ApiTransport, type FetchFunction, parseAnswer } from './api-transport.js';
import { type EnsembleUpload, uploadForm } from './ensemble-upload.js';
import { ConnectionFailedError, EnsembleClientError, JobFailedError, UnexpectedAnswerError } from './errors.js';
import { type RetryOptions, type RetryPolicy, retryDelayMs, retryPolicy, sleep } from './retry-policy.js';
import { readServerSentEvents, type ServerSentEvent } from './server-sent-events.js';

export interface EnsembleClientOptions {
  /** The API's address, e.g. `http://localhost:3000` (a path prefix is kept: `https://host/ensembles`), or a path on the page's origin in a browser. */
  readonly baseUrl: string | URL;
  /** Sent as `Authorization: Bearer <apiKey>` (needed when the service has `API_KEYS`). */
  readonly apiKey?: string;
  /** Tries after a failed connection, a 503 or a 429 with `Retry-After`; `false`: none. @defaultValue `{ retries: 3, minDelayMs: 200, maxDelayMs: 30_000 }` */
  readonly retry?: RetryOptions | false;
  /** The `fetch` to use (a wrapper that logs or adds headers, a test's fake). @defaultValue globalThis.fetch */
  readonly fetch?: FetchFunction;
  /** Headers sent with every request. */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface CallOptions {
  /** Aborts the call, its waits between tries included; it rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

export interface SubmitOptions extends CallOptions {
  /**
   * Names this prediction, so that a retried submission returns the same job
   * rather than queue another: sent as `Idempotency-Key` on every try. The
   * API refuses the key with a different request (422 `IDEMPOTENCY_KEY_REUSED`).
   * @defaultValue a new `crypto.randomUUID()` per call
   */
  readonly idempotencyKey?: string;
}

export interface WaitOptions extends CallOptions {
  /** How often an unfinished job is read again. @defaultValue 250 */
  readonly pollIntervalMs?: number;
}

export interface PredictOptions extends SubmitOptions, WaitOptions {
  /**
   * How long the API holds the request for the result (`Prefer: wait`), in
   * seconds; it caps this at its `MAX_WAIT_SECONDS`. A job not finished by
   * then is read again every `pollIntervalMs` until it is. @defaultValue 30
   */
  readonly waitSeconds?: number;
}

/** A tensor to send: `data` flat and row-major, as numbers or a typed array (`Float32Array`). */
export interface TensorInput {
  readonly shape: readonly number[];
  readonly data: ArrayLike<number>;
}

/** A prediction: the input tensor and the options (`mode`, `combine`, `weights`, `uncertainty`, `priority`), as the API's schema has them. */
export type PredictionInput = Omit<PredictionRequest, 'input' | 'weights'> & {
  readonly input: TensorInput;
  readonly weights?: readonly number[];
};

/** A job that completed with its result. */
export type CompletedJob = Omit<JobView, 'status' | 'result'> & { readonly status: 'completed'; readonly result: PredictionResultJson };

/** What a job's event stream says: its view at each change of status, or why the stream ended without a finished job. */
export type JobEvent = { readonly type: 'status'; readonly job: JobView } | { readonly type: 'error'; readonly error: string };

/**
 * @example
 * const client = new EnsembleClient({ baseUrl: 'http://localhost:3000' });
 * await client.uploadEnsemble({ manifest, members: [member0, member1] });
 * const job = await client.predict('mnist-mlp', { input: { shape: [1, 1, 28, 28], data: pixels }, combine: 'mean-softmax' });
 * console.log(job.result.combined?.data);
 */
export class EnsembleClient {
  private readonly transport: ApiTransport;
  private readonly retry: RetryPolicy;

  constructor(options: EnsembleClientOptions) {
    const given = String(options.baseUrl);
    // A path (`/ensembles-api`) is for a page served from the API's own origin, where `fetch` resolves it.
    if (!/^(https?:\/\/|\/)/i.test(given)) {
      throw new TypeError(`baseUrl must be an http(s) URL such as http://localhost:3000, or a path on this origin, got "${given}"`);
    }
    this.retry = retryPolicy(options.retry);
    this.transport = new ApiTransport({
      baseUrl: given.replace(/\/+$/, ''),
      // Called as a plain function: browsers refuse their `fetch` called as another object's method.
      fetch: options.fetch ?? ((url, init) => globalThis.fetch(url, init)),
      headers: { ...options.headers, ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}) },
      retry: this.retry,
    });
  }

  /**
   * Registers an ensemble: its manifest with one file per member (stacked by
   * the service) or with the stacked file. The same content twice is stored
   * once (`created: false`), so an upload is safe to try again.
   *
   * @example
   * await client.uploadEnsemble({ manifest, members: [await readFile('member0.safetensors'), await readFile('member1.safetensors')] });
   * await client.uploadEnsemble({ manifest, weights: await readFile('stacked.safetensors') });
   */
  async uploadEnsemble(upload: EnsembleUpload, options: CallOptions = {}): Promise<RegisteredEnsemble> {
    return this.transport.json(
      { method: 'POST', path: '/v1/ensembles', body: uploadForm(upload), signal: options.signal },
      registeredEnsembleSchema,
    );
  }

  /** The tenant's ensembles, each at its latest version. */
  async listEnsembles(options: CallOptions = {}): Promise<EnsembleInfo[]> {
    const { ensembles } = await this.transport.json({ method: 'GET', path: '/v1/ensembles', signal: options.signal }, ensembleListSchema);
    return ensembles;
  }

  /** An ensemble (`name`, or `name@version`) at its latest version, with every version its name has pointed at. */
  getEnsemble(name: string, options: CallOptions = {}): Promise<EnsembleDetail> {
    return this.transport.json(
      { method: 'GET', path: `/v1/ensembles/${encodeURIComponent(name)}`, signal: options.signal },
      ensembleDetailSchema,
    );
  }

  /** Deletes the name (jobs already queued still run). */
  async deleteEnsemble(name: string, options: CallOptions = {}): Promise<void> {
    await this.transport.send({ method: 'DELETE', path: `/v1/ensembles/${encodeURIComponent(name)}`, signal: options.signal });
  }

  /**
   * Predicts and resolves with the completed job and its result tensors:
   * the API holds the request up to `waitSeconds`, and a job that has not
   * finished by then is read again until it has.
   *
   * @throws EnsembleApiError for an error answer (`ENSEMBLE_NOT_FOUND`, `INPUT_INVALID`, `QUEUE_FULL`, ...).
   * @throws JobFailedError when the job failed, or its result has expired.
   * @example
   * const job = await client.predict('mnist-mlp', { input: { shape: [1, 784], data }, combine: 'mean-softmax', uncertainty: true });
   * job.result.combined; // { shape: [1, 10], data: [...] }
   */
  async predict(ensemble: string, prediction: PredictionInput, options: PredictOptions = {}): Promise<CompletedJob> {
    const waitSeconds = options.waitSeconds ?? 30;
    if (!Number.isInteger(waitSeconds) || waitSeconds < 0)
      throw new RangeError(`waitSeconds must be a whole number >= 0, got ${waitSeconds}`);
    const view = await this.submitWith(ensemble, prediction, options, waitSeconds > 0 ? { prefer: `wait=${waitSeconds}` } : {});
    return isFinished(view) ? completed(view) : this.waitForJob(view.id, options);
  }

  /**
   * Queues a prediction and resolves with the queued job at once; follow it
   * with `waitForJob`, `getJob` or `streamJob`.
   */
  submitPrediction(ensemble: string, prediction: PredictionInput, options: SubmitOptions = {}): Promise<JobView> {
    return this.submitWith(ensemble, prediction, options, {});
  }

  /** A job as it is now: `queued`, `active`, `completed` (with its result) or `failed`. */
  getJob(id: string, options: CallOptions = {}): Promise<JobView> {
    return this.transport.json({ method: 'GET', path: `/v1/jobs/${encodeURIComponent(id)}`, signal: options.signal }, jobViewSchema);
  }

  /**
   * Reads the job every `pollIntervalMs` until it has finished; resolves
   * with it completed.
   *
   * @throws JobFailedError when the job failed, or its result has expired.
   */
  async waitForJob(id: string, options: WaitOptions = {}): Promise<CompletedJob> {
    const interval = options.pollIntervalMs ?? 250;
    for (;;) {
      const view = await this.getJob(id, options);
      if (isFinished(view)) return completed(view);
      await sleep(interval, options.signal);
    }
  }

  /**
   * Cancels a job that has not started.
   *
   * @throws EnsembleApiError 409 `JOB_ACTIVE` or `JOB_FINISHED` once it has; 404 `JOB_NOT_FOUND`.
   */
  async cancelJob(id: string, options: CallOptions = {}): Promise<void> {
    await this.transport.send({ method: 'DELETE', path: `/v1/jobs/${encodeURIComponent(id)}`, signal: options.signal });
  }

  /**
   * The job's events as they happen (server-sent events): its view at each
   * change of status, ending once it has completed or failed, or with an
   * `error` event (the job was cancelled or has expired). A stream that
   * breaks before then is opened again, with the retry policy's backoff, up
   * to its tries in a row without a new status; a status already seen is
   * not repeated.
   *
   * @example
   * for await (const event of client.streamJob(job.id)) {
   *   if (event.type === 'status') console.log(event.job.status);
   * }
   */
  async *streamJob(id: string, options: CallOptions = {}): AsyncGenerator<JobEvent, void, undefined> {
    const { signal } = options;
    const path = `/v1/jobs/${encodeURIComponent(id)}/events`;
    let lastStatus: JobView['status'] | undefined;
    let breaks = 0;
    for (;;) {
      const response = await this.transport.send({ method: 'GET', path, headers: { accept: 'text/event-stream' }, signal });
      let failure: unknown;
      try {
        if (!response.body) throw new TypeError('the event stream has no body');
        for await (const event of readServerSentEvents(response.body)) {
          const data = eventData(event, path);
          if (data.type === 'error') {
            yield data;
            return;
          }
          if (data.job.status !== lastStatus) {
            // Progress: the tries to open the stream again count from here.
            breaks = 0;
            lastStatus = data.job.status;
            yield data;
          }
          if (isFinished(data.job)) return;
        }
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        if (error instanceof EnsembleClientError) throw error;
        failure = error;
      }
      // The stream ended or broke before the job finished: open it again.
      const delay = retryDelayMs(breaks, this.retry, undefined);
      if (delay === undefined) {
        const how = failure === undefined ? 'ended' : `broke (${failure instanceof Error ? failure.message : String(failure)})`;
        throw new ConnectionFailedError(`the event stream of job ${id} ${how} before the job finished, ${breaks + 1} times in a row`, {
          cause: failure,
        });
      }
      breaks += 1;
      await sleep(delay, signal);
    }
  }

  /** The live workers: engine, backend, threads, the versions they hold, their cache, their heartbeat. */
  async listWorkers(options: CallOptions = {}): Promise<WorkerAnnouncement[]> {
    const { workers } = await this.transport.json({ method: 'GET', path: '/v1/workers', signal: options.signal }, workerListSchema);
    return workers;
  }

  private submitWith(
    ensemble: string,
    prediction: PredictionInput,
    options: SubmitOptions,
    headers: Readonly<Record<string, string>>,
  ): Promise<JobView> {
    // One key for every try of this submission: a retry whose first answer was lost gets the same job.
    const idempotencyKey = options.idempotencyKey ?? globalThis.crypto.randomUUID();
    const { input, weights, ...rest } = prediction;
    const body = {
      ...rest,
      ...(weights === undefined ? {} : { weights: [...weights] }),
      // A typed array would become an object in JSON.
      input: { shape: [...input.shape], data: Array.from(input.data) },
    } satisfies PredictionRequest;
    return this.transport.json(
      {
        method: 'POST',
        path: `/v1/ensembles/${encodeURIComponent(ensemble)}/predictions`,
        headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey, ...headers },
        body: JSON.stringify(body),
        signal: options.signal,
      },
      jobViewSchema,
    );
  }
}

function isFinished(view: JobView): boolean {
  return view.status === 'completed' || view.status === 'failed';
}

/** A finished job as completed with its result, or the error that says why not. */
function completed(view: JobView): CompletedJob {
  if (view.status !== 'completed' || view.result?.members === undefined) throw new JobFailedError(view);
  return view as CompletedJob;
}

/** An event of a job's stream, its data checked against the API's schemas. */
function eventData(event: ServerSentEvent, path: string): JobEvent {
  let data: unknown;
  try {
    data = JSON.parse(event.data);
  } catch (error) {
    throw new UnexpectedAnswerError(`an event of GET ${path} is not JSON: ${event.data.slice(0, 200)}`, [], { cause: error });
  }
  if (event.event === 'error') return { type: 'error', error: parseAnswer(jobErrorEventSchema, data, `GET ${path}`).error };
  if (event.event === 'status') return { type: 'status', job: parseAnswer(jobViewSchema, data, `GET ${path}`) };
  throw new UnexpectedAnswerError(`GET ${path} sent an event "${event.event}"; the API sends only status and error events`);
}
