/**
 * API keys and tenants, with no worker running (jobs stay queued): every
 * route but liveness and readiness needs a key; one tenant never sees
 * another's ensembles or jobs; a queued job can be cancelled.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './testing/test-api.js';
import { tinyUpload } from './testing/tiny-ensemble.js';

const ACME = 'acme-key-0123456789';
const GLOBEX = 'globex-key-0123456789';
const ADMIN = 'admin-key-0123456789';

let app: FastifyInstance;
let api: TestApi;

beforeAll(async () => {
  api = await startTestApi({ REDIS_PREFIX: 'authtest', API_KEYS: `acme:${ACME},globex:${GLOBEX}`, ADMIN_KEY: ADMIN });
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
