/**
 * API keys and tenants, with no worker running (jobs stay queued): every
 * route the OpenAPI document lists but liveness and readiness needs a key;
 * one tenant never sees another's ensembles or jobs, not even by guessing
 * names, versions or job ids; a queued job can be cancelled; the dashboard
 * needs the admin key; and neither keys nor input data reach the logs.
 */
import { randomUUID } from 'node:crypto';
import { float32Tensor, writeSafetensors } from '@ensembles/core';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';
import { multipartBody } from './testing/multipart.js';
import { documentedRoutes, fillPath } from './testing/openapi-routes.js';
import { startTestApi, type TestApi } from './testing/test-api.js';
import { tinyManifest, tinyUpload } from './testing/tiny-ensemble.js';

const ACME = 'acme-key-0123456789';
const GLOBEX = 'globex-key-0123456789';
const ADMIN = 'admin-key-0123456789';

let app: FastifyInstance;
let api: TestApi;
/** Every line the app logged, at the most verbose level. */
const logLines: string[] = [];

beforeAll(async () => {
  const logger = createLogger({ LOG_LEVEL: 'trace' }, { write: (line: string) => logLines.push(line) });
  api = await startTestApi(
    { REDIS_PREFIX: 'authtest', API_KEYS: `acme:${ACME},globex:${GLOBEX}`, ADMIN_KEY: ADMIN, MAX_WAIT_SECONDS: '1' },
    { logger },
  );
  app = api.app;
});

afterAll(() => api?.stop());

const as = (key: string) => ({ authorization: `Bearer ${key}` });

describe('authentication and tenants', () => {
  it('answers 401 without a valid key, except for liveness and readiness', async () => {
    expect((await app.inject({ method: 'GET', url: '/v2/health/live' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/v2/health/ready' })).statusCode).toBe(200);
    for (const headers of [{}, as('not-a-key'), { authorization: ACME }]) {
      const response = await app.inject({ method: 'GET', url: '/v1/ensembles', headers });
      expect(response.statusCode).toBe(401);
      expect(response.json().error.code).toBe('UNAUTHORIZED');
    }
  });

  it("keeps each tenant's ensembles and jobs to itself, and cancels a queued job", async () => {
    const { payload, headers } = tinyUpload();
    expect((await app.inject({ method: 'POST', url: '/v1/ensembles', payload, headers: { ...headers, ...as(ACME) } })).statusCode).toBe(
      201,
    );
    expect((await app.inject({ method: 'GET', url: '/v1/ensembles', headers: as(GLOBEX) })).json()).toEqual({ ensembles: [] });
    expect((await app.inject({ method: 'GET', url: '/v1/ensembles/tiny', headers: as(GLOBEX) })).statusCode).toBe(404);

    const submitted = await app.inject({
      method: 'POST',
      url: '/v1/ensembles/tiny/predictions',
      headers: as(ACME),
      payload: { input: { shape: [1, 3], data: [1, 2, 3] } },
    });
    expect(submitted.statusCode).toBe(202);
    const { url, status } = submitted.json();
    expect(status).toBe('queued');
    expect(
      (
        await app.inject({
          method: 'POST',
          url: '/v1/ensembles/tiny/predictions',
          headers: as(GLOBEX),
          payload: { input: { shape: [1, 3], data: [1, 2, 3] } },
        })
      ).statusCode,
    ).toBe(404);
    expect((await app.inject({ method: 'GET', url, headers: as(GLOBEX) })).statusCode).toBe(404);
    expect((await app.inject({ method: 'DELETE', url, headers: as(GLOBEX) })).statusCode).toBe(404);

    expect((await app.inject({ method: 'DELETE', url, headers: as(ACME) })).statusCode).toBe(204);
    expect((await app.inject({ method: 'GET', url, headers: as(ACME) })).statusCode).toBe(404);
  });

  it('opens the queue dashboard only with the admin key', async () => {
    const anonymous = await app.inject({ method: 'GET', url: '/admin/queues' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['www-authenticate']).toBe('Basic realm="queues"');
    expect((await app.inject({ method: 'GET', url: '/admin/queues', headers: as(ACME) })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/admin/queues', headers: as(ADMIN) })).statusCode).toBe(200);
    const basic = `Basic ${Buffer.from(`admin:${ADMIN}`).toString('base64')}`;
    expect((await app.inject({ method: 'GET', url: '/admin/queues', headers: { authorization: basic } })).statusCode).toBe(200);
  });
});

describe('every documented route', () => {
  it('answers 401 without a valid key, but for liveness and readiness alone', async () => {
    const routes = await documentedRoutes(app);
    expect(routes.length).toBeGreaterThanOrEqual(11);
    expect(routes.filter((route) => route.open).map((route) => route.path)).toEqual(['/v2/health/live', '/v2/health/ready']);
    for (const route of routes.filter((r) => !r.open)) {
      expect(route.responses.has(401)).toBe(true);
      const url = fillPath(route.path, { name: 'tiny', id: randomUUID() });
      for (const authorization of [
        undefined,
        'Bearer not-a-key-0123456789',
        ACME,
        `Basic ${Buffer.from(`acme:${ACME}`).toString('base64')}`,
      ]) {
        const response = await app.inject({
          method: route.method as 'GET',
          url,
          headers: authorization ? { authorization } : {},
          ...(route.method === 'POST' ? { payload: {} } : {}),
        });
        expect(response.statusCode, `${route.method} ${url} with ${authorization ?? 'no key'}`).toBe(401);
      }
    }
  });

  it('is not opened by any spelling of its URL', async () => {
    for (const url of [
      '/v1/ensembles?/v2/health/live',
      '/v2/health/live/../../v1/ensembles',
      '/docs/../v1/ensembles',
      '/metrics/../v1/workers',
      '/V1/ENSEMBLES',
      '//v1/ensembles',
      '/v1/ensembles/',
      '/v1/ensembles;/v2/health/live',
      '/v2/health/live%2f..%2f..%2fv1/ensembles',
    ]) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBeGreaterThanOrEqual(400);
      expect(response.body, url).not.toContain('"ensembles"');
    }
  });
});

describe("another tenant's ensembles and jobs", () => {
  it('are not found, whatever the other tenant guesses', async () => {
    const acmeUpload = await app.inject({ method: 'POST', url: '/v1/ensembles', ...withKey(tinyUpload(), ACME) });
    const { version } = acmeUpload.json();
    // Globex has a "tiny" of its own, with other weights: its name must not open Acme's version.
    const globexWeights = writeSafetensors([
      float32Tensor('fc.weight', [2, 2, 3], new Float32Array(12).fill(0.5)),
      float32Tensor('fc.bias', [2, 2], new Float32Array(4)),
    ]);
    const globexUpload = multipartBody([
      { name: 'manifest', content: JSON.stringify(tinyManifest) },
      { name: 'weights', filename: 'w.safetensors', content: globexWeights },
    ]);
    const own = await app.inject({ method: 'POST', url: '/v1/ensembles', ...withKey(globexUpload, GLOBEX) });
    expect(own.statusCode).toBe(201);
    expect(own.json().version).not.toBe(version);

    const job = await app.inject({
      method: 'POST',
      url: '/v1/ensembles/tiny/predictions',
      headers: as(ACME),
      payload: { input: { shape: [1, 3], data: [1, 2, 3] } },
    });
    expect(job.statusCode).toBe(202);
    const { id } = job.json();

    const input = { input: { shape: [1, 3], data: [1, 2, 3] } };
    const infer = { inputs: [{ name: 'input', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }] };
    const guesses: { method: 'GET' | 'POST' | 'DELETE'; url: string; payload?: object }[] = [];
    for (const reference of [`tiny@${version}`, `tiny@${version.slice(0, 12)}`, `tiny@${version.slice(0, 20)}`]) {
      guesses.push({ method: 'GET', url: `/v1/ensembles/${reference}` });
      guesses.push({ method: 'POST', url: `/v1/ensembles/${reference}/predictions`, payload: input });
      guesses.push({ method: 'GET', url: `/v2/models/${reference}` });
      guesses.push({ method: 'GET', url: `/v2/models/${reference}/ready` });
      guesses.push({ method: 'POST', url: `/v2/models/${reference}/infer`, payload: infer });
    }
    for (const jobId of [id, id.toUpperCase()]) {
      guesses.push({ method: 'GET', url: `/v1/jobs/${jobId}` });
      guesses.push({ method: 'GET', url: `/v1/jobs/${jobId}/events` });
      guesses.push({ method: 'DELETE', url: `/v1/jobs/${jobId}` });
    }
    for (const guess of guesses) {
      const response = await app.inject({ ...guess, headers: as(GLOBEX) });
      expect(response.statusCode, `${guess.method} ${guess.url}`).toBe(404);
      expect(response.body).not.toContain(`"version":"${version}"`);
    }
    // Acme's job is untouched by all of it.
    expect((await app.inject({ method: 'GET', url: `/v1/jobs/${id}`, headers: as(ACME) })).json().status).toBe('queued');
  });
});

describe('the logs', () => {
  it('hold neither API keys nor input data, at the most verbose level', async () => {
    const distinctive = 271.828125; // exact in float32
    const payload = { input: { shape: [1, 3], data: [distinctive, distinctive, distinctive] } };
    await app.inject({ method: 'POST', url: '/v1/ensembles', ...withKey(tinyUpload(), ACME) });
    const requests = [
      { method: 'POST' as const, url: '/v1/ensembles/tiny/predictions', headers: as(ACME), payload },
      {
        method: 'POST' as const,
        url: '/v1/ensembles/tiny/predictions',
        headers: as(ACME),
        payload: { input: { shape: [2, 3], data: [distinctive] } },
      },
      {
        method: 'POST' as const,
        url: '/v1/ensembles/tiny/predictions',
        headers: { ...as(ACME), 'content-type': 'application/octet-stream' },
        payload: Buffer.from(writeSafetensors([float32Tensor('input', [1, 3], Float32Array.of(distinctive, 1, 2))])),
      },
      {
        method: 'POST' as const,
        url: '/v2/models/tiny/infer',
        headers: as(GLOBEX),
        payload: { inputs: [{ name: 'input', shape: [1, 3], datatype: 'FP32', data: [distinctive, 0, 0] }] },
      },
      { method: 'GET' as const, url: '/v1/ensembles', headers: { authorization: `Bearer ${ACME}x` } },
      { method: 'GET' as const, url: '/admin/queues', headers: as(ADMIN) },
      {
        method: 'GET' as const,
        url: '/admin/queues',
        headers: { authorization: `Basic ${Buffer.from(`admin:${ADMIN}`).toString('base64')}` },
      },
    ];
    for (const request of requests) await app.inject(request);
    const logs = logLines.join('');
    expect(logLines.length).toBeGreaterThan(requests.length);
    for (const secret of [ACME, GLOBEX, ADMIN, Buffer.from(`admin:${ADMIN}`).toString('base64'), String(distinctive)]) {
      expect(logs).not.toContain(secret);
    }
  });
});

function withKey(upload: { payload: Buffer; headers: Record<string, string> }, key: string) {
  return { payload: upload.payload, headers: { ...upload.headers, ...as(key) } };
}
