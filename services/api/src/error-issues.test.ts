/**
 * A body wrong everywhere (strings where 28,800 numbers belong) gets a short
 * answer on the REST and the Open Inference routes alike: the first issues by
 * path and a count of the rest, as the error schema documents.
 */
import { errorBodySchema, MAX_LISTED_ISSUES } from '@ensembles/protocol';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './testing/test-api.js';
import { tinyUpload } from './testing/tiny-ensemble.js';

let app: FastifyInstance;
let api: TestApi;

beforeAll(async () => {
  api = await startTestApi({ REDIS_PREFIX: 'issuestest' });
  app = api.app;
  const { payload, headers } = tinyUpload();
  expect((await app.inject({ method: 'POST', url: '/v1/ensembles', payload, headers })).statusCode).toBe(201);
});

afterAll(() => api?.stop());

/** 9,600 rows of the tiny ensemble's 3 features, every value a string. */
const rows = 9600;
const strings = Array.from({ length: rows * 3 }, (_, i) => `${(i % 7) / 7}`);

describe('error bodies', () => {
  it('list the first 20 of 28,800 bad values of a prediction, and count the rest', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/ensembles/tiny/predictions',
      payload: { input: { shape: [rows, 3], data: strings } },
    });
    expect(response.statusCode).toBe(400);
    expect(response.body.length).toBeLessThan(4000);
    const body = errorBodySchema.parse(response.json());
    expect(body.error.code).toBe('REQUEST_INVALID');
    expect(body.error.message).toBe('the request is invalid (28800 problems)');
    expect(body.error.issues).toHaveLength(MAX_LISTED_ISSUES);
    expect(body.error.issues?.[0]?.path).toBe('body.input.data.0');
    expect(body.error.issues?.[19]?.path).toBe('body.input.data.19');
    expect(body.error.moreIssues).toBe(rows * 3 - MAX_LISTED_ISSUES);
  });

  it('list a few bad values in full, without a count', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/ensembles/tiny/predictions',
      payload: { input: { shape: [1, 3], data: ['a', 2, 'c'] } },
    });
    expect(response.statusCode).toBe(400);
    const body = errorBodySchema.parse(response.json());
    expect(body.error.message).toBe('the request is invalid');
    expect(body.error.issues?.map((issue) => issue.path)).toEqual(['body.input.data.0', 'body.input.data.2']);
    expect(body.error).not.toHaveProperty('moreIssues');
  });

  it('stay short on the Open Inference route too', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v2/models/tiny/infer',
      payload: { inputs: [{ name: 'input', shape: [rows, 3], datatype: 'FP32', data: strings }] },
    });
    expect(response.statusCode).toBe(400);
    expect(response.body.length).toBeLessThan(4000);
    expect(typeof response.json().error).toBe('string');
  });
});
