/**
 * Load and backpressure: a full queue refuses thousands of submissions at
 * once with 429 and `Retry-After` (median and p99 latency printed), its
 * memory flat; a rate limit shared by two API processes lets through exactly
 * its limit under a concurrent flood; and clients that go away (server-sent
 * events never read, `Prefer: wait=N` dropped mid-wait, over real HTTP)
 * leave no listener, wait or job behind.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseWorkerConfig, startPredictionWorker } from '@ensembles/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseApiConfig } from './api-config.js';
import { buildApp } from './app.js';
import { openAppContext } from './open-app-context.js';
import { startTestApi, type TestApi } from './testing/test-api.js';
import { tinyUpload } from './testing/tiny-ensemble.js';

const MiB = 1 << 20;
const MAX_WAITING_JOBS = 50;
const REJECTIONS = 3000;
const input = { input: { shape: [1, 3], data: [1, 2, 3] } };

let api: TestApi;

beforeAll(async () => {
  // No worker: jobs stay waiting until a test starts one.
  api = await startTestApi({ REDIS_PREFIX: 'backpressure', MAX_WAITING_JOBS: String(MAX_WAITING_JOBS), MAX_WAIT_SECONDS: '30' });
  expect((await api.app.inject({ method: 'POST', url: '/v1/ensembles', ...tinyUpload() })).statusCode).toBe(201);
});

afterAll(() => api?.stop());

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a full queue', () => {
  it(`refuses ${REJECTIONS} submissions with 429 and Retry-After, at once, its memory flat`, async () => {
    const submit = () => api.app.inject({ method: 'POST', url: '/v1/ensembles/tiny/predictions', payload: input });
    for (let i = 0; i < MAX_WAITING_JOBS; i++) expect((await submit()).statusCode).toBe(202);

    const heapBefore = process.memoryUsage().heapUsed;
    const latencies: number[] = [];
    const statuses = new Map<number, number>();
    for (let batch = 0; batch < REJECTIONS / 50; batch++) {
      await Promise.all(
        Array.from({ length: 50 }, async () => {
          const started = performance.now();
          const response = await submit();
          latencies.push(performance.now() - started);
          statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
          if (response.statusCode === 429) {
            expect(response.headers['retry-after']).toBe('1');
            expect(response.json().error.code).toBe('QUEUE_FULL');
          }
        }),
      );
    }
    const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
    latencies.sort((a, b) => a - b);
    console.log(
      `${REJECTIONS} submissions to a full queue: ${JSON.stringify(Object.fromEntries(statuses))}; ` +
        `latency median ${quantile(latencies, 0.5).toFixed(2)} ms, p99 ${quantile(latencies, 0.99).toFixed(2)} ms ` +
        `(50 in flight); heap ${(heapGrowth / MiB).toFixed(1)} MiB`,
    );
    expect(statuses.get(429)).toBe(REJECTIONS);
    expect(await api.context.queue.getJobCountByTypes('waiting', 'prioritized', 'delayed')).toBe(MAX_WAITING_JOBS);
    expect(heapGrowth).toBeLessThan(64 * MiB);
    expect(quantile(latencies, 0.99)).toBeLessThan(5_000);
  });
});

describe('a rate limit shared by two API processes', () => {
  it('lets exactly its limit through a concurrent flood on both', async () => {
    const key = 'acme-key-0123456789';
    const settings = { REDIS_URL: api.redis.url, REDIS_PREFIX: 'ratelimited', API_KEYS: `acme:${key}`, RATE_LIMIT_PER_MINUTE: '100' };
    const contexts = await Promise.all([openAppContext(parseApiConfig(settings)), openAppContext(parseApiConfig(settings))]);
    const apps = await Promise.all(contexts.map((context) => buildApp(context)));
    try {
      const started = performance.now();
      const responses = await Promise.all(
        Array.from({ length: 1000 }, (_, i) =>
          (apps[i % 2] as (typeof apps)[number]).inject({
            method: 'GET',
            url: '/v1/ensembles',
            headers: { authorization: `Bearer ${key}` },
          }),
        ),
      );
      const seconds = (performance.now() - started) / 1000;
      const allowed = responses.filter((r) => r.statusCode === 200).length;
      const limited = responses.filter((r) => r.statusCode === 429);
      console.log(
        `1000 requests over 2 API processes, limit 100/min: ${allowed} allowed, ${limited.length} limited, in ${seconds.toFixed(2)} s`,
      );
      expect(allowed).toBe(100);
      expect(limited.length).toBe(900);
      for (const response of limited) {
        expect(response.json().error.code).toBe('RATE_LIMITED');
        expect(Number(response.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      }
    } finally {
      for (const app of apps) await app.close();
      for (const context of contexts) await context.close();
    }
  });
});

describe('clients that go away', () => {
  let base: string;
  let server: Awaited<ReturnType<typeof buildApp>>;
  let context: Awaited<ReturnType<typeof openAppContext>>;

  beforeAll(async () => {
    // A second app over real HTTP, on its own prefix with room in its queue.
    context = await openAppContext(parseApiConfig({ REDIS_URL: api.redis.url, REDIS_PREFIX: 'gone', MAX_WAIT_SECONDS: '30' }));
    server = await buildApp(context);
    await server.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
    expect((await server.inject({ method: 'POST', url: '/v1/ensembles', ...tinyUpload() })).statusCode).toBe(201);
  });

  afterAll(async () => {
    await server?.close();
    await context?.close();
  });

  /** Waits this app holds (a waiting request holds one; an event stream one while it follows its job). */
  const listeners = () => context.completions.size;
  const waitingJobs = () => context.queue.getJobCountByTypes('waiting', 'prioritized', 'delayed');

  /** Starts a request and drops it after `ms`, unread. */
  function dropAfter(ms: number, path: string, options: http.RequestOptions, body?: string): Promise<void> {
    return new Promise((resolve) => {
      const request = http.request(`${base}${path}`, options, (response) => response.pause());
      request.on('error', () => resolve());
      request.on('close', () => resolve());
      if (body) request.write(body);
      request.end();
      setTimeout(() => request.destroy(), ms);
    });
  }

  it('leaves no wait, listener or extra job behind when 200 clients drop a Prefer: wait', async () => {
    const before = await waitingJobs();
    const baseline = listeners();
    const body = JSON.stringify(input);
    const started = performance.now();
    await Promise.all(
      Array.from({ length: 200 }, () =>
        dropAfter(
          300,
          '/v1/ensembles/tiny/predictions',
          { method: 'POST', headers: { 'content-type': 'application/json', prefer: 'wait=30', 'content-length': Buffer.byteLength(body) } },
          body,
        ),
      ),
    );
    // The server sees each close at once (or, for a request still being read, as its wait begins): nothing waits out its 30 seconds.
    await sleep(1_000);
    for (let i = 0; i < 100 && context.completions.size > 0; i++) await sleep(50);
    const seconds = (performance.now() - started) / 1000;
    const queued = (await waitingJobs()) - before;
    console.log(`200 dropped waits: ${context.completions.size} still waiting after ${seconds.toFixed(2)} s; ${queued} jobs queued`);
    expect(context.completions.size).toBe(0);
    expect(listeners()).toBe(baseline);
    // Each job that was queued before its client went stays queued, once: none is added twice, none is lost.
    expect(queued).toBeGreaterThan(0);
    expect(queued).toBeLessThanOrEqual(200);
    expect(seconds).toBeLessThan(10);
  });

  it('leaves no listener behind when 200 event streams are dropped, or never read until their job ends', async () => {
    const submitted = await server.inject({ method: 'POST', url: '/v1/ensembles/tiny/predictions', payload: input });
    const { id } = submitted.json();
    const baseline = listeners();
    // Dropped while the job waits.
    await Promise.all(Array.from({ length: 200 }, () => dropAfter(300, `/v1/jobs/${id}/events`, { method: 'GET' })));
    await sleep(1_000);
    expect(listeners()).toBe(baseline);

    // Never read: the job completes (a worker starts), and the server ends every stream itself.
    const streams = 100;
    const readers = Array.from(
      { length: streams },
      () =>
        new Promise<void>((resolve) => {
          http.get(`${base}/v1/jobs/${id}/events`, (response) => {
            response.pause();
            response.on('end', resolve);
            setTimeout(() => response.resume(), 2_000);
          });
        }),
    );
    await sleep(500);
    // Each stream follows its job with one wait at most (between two reads of the job's state, none).
    expect(listeners()).toBeGreaterThan(baseline);
    expect(listeners()).toBeLessThanOrEqual(baseline + streams);
    const heapBefore = process.memoryUsage().heapUsed;
    const worker = startPredictionWorker(parseWorkerConfig({ REDIS_URL: api.redis.url, REDIS_PREFIX: 'gone', ENSEMBLE_THREADS: '1' }));
    try {
      await Promise.all(readers);
      await sleep(200);
      const heap = (process.memoryUsage().heapUsed - heapBefore) / MiB;
      console.log(`${streams} unread event streams ended with their job; heap ${heap.toFixed(1)} MiB`);
      expect(listeners()).toBe(baseline);
      expect(heap).toBeLessThan(64);
    } finally {
      await worker.close();
    }
  });
});
