/** Limits answered with the right status: bodies and uploads too large (413), a full queue (429 with Retry-After). */

import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { multipartBody } from './testing/multipart.js';
import { startTestApi, type TestApi } from './testing/test-api.js';
import { tinyManifest as manifest, tinyUpload } from './testing/tiny-ensemble.js';

let app: FastifyInstance;
let api: TestApi;

beforeAll(async () => {
  // No worker: submitted jobs stay waiting.
  api = await startTestApi({ REDIS_PREFIX: 'limitstest', MAX_BODY_BYTES: '2000', MAX_UPLOAD_BYTES: '4000', MAX_WAITING_JOBS: '2' });
  app = api.app;
});

afterAll(() => api?.stop());

describe('limits', () => {
  it('answers 413 for a body or an upload over the limit', async () => {
    const big = await app.inject({
      method: 'POST',
      url: '/v1/ensembles/tiny/predictions',
      payload: { input: { shape: [1000, 3], data: Array(3000).fill(0.5) } },
    });
    expect(big.statusCode).toBe(413);
    const { payload, headers } = multipartBody([
      { name: 'manifest', content: JSON.stringify(manifest) },
      { name: 'weights', filename: 'w.safetensors', content: new Uint8Array(5000) },
    ]);
    const upload = await app.inject({ method: 'POST', url: '/v1/ensembles', payload, headers });
    expect(upload.statusCode).toBe(413);
    expect(upload.json().error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('answers 429 with Retry-After once the queue holds its most waiting jobs', async () => {
    const { payload, headers } = tinyUpload();
    expect((await app.inject({ method: 'POST', url: '/v1/ensembles', payload, headers })).statusCode).toBe(201);
    const submit = () =>
      app.inject({ method: 'POST', url: '/v1/ensembles/tiny/predictions', payload: { input: { shape: [1, 3], data: [1, 2, 3] } } });
    expect((await submit()).statusCode).toBe(202);
    expect((await submit()).statusCode).toBe(202);
    const full = await submit();
    expect(full.statusCode).toBe(429);
    expect(full.headers['retry-after']).toBe('1');
    expect(full.json().error.code).toBe('QUEUE_FULL');
  });
});
