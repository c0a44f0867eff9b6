/**
 * Property-based fuzzing of every route the OpenAPI document lists (read
 * from the app, so a new route is fuzzed without a change here): valid
 * requests, valid requests with one part mutated, and garbage, in the path,
 * query, headers, content type and body. Every answer must be documented for
 * its route, with a body that matches the documented schema, never a 5xx,
 * and every valid request must succeed. Fixed seeds; a failure names its seed
 * and counterexample.
 */
import { float32Tensor, writeSafetensors } from '@ensembles/core';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { multipartBody } from './testing/multipart.js';
import { answerProblems, type DocumentedRoute, documentedRoutes, fillPath } from './testing/openapi-routes.js';
import { startTestApi, type TestApi } from './testing/test-api.js';
import { tinyManifest, tinyUpload, tinyWeights } from './testing/tiny-ensemble.js';

const SEED = 20_240_611;
/** Runs per route and kind of request (valid, mutated, garbage). */
const RUNS = 120;

let api: TestApi;
let app: FastifyInstance;
let routes: DocumentedRoute[];
let version: string;
let jobId: string;
/** What the app logged at level error (5xx), to explain a failure. */
const errorLogs: string[] = [];

beforeAll(async () => {
  api = await startTestApi(
    { REDIS_PREFIX: 'fuzz', MAX_BODY_BYTES: '262144', MAX_UPLOAD_BYTES: '262144', MAX_WAIT_SECONDS: '20' },
    { withWorker: true, logger: pino({ level: 'error' }, { write: (line: string) => errorLogs.push(line) }) },
  );
  app = api.app;
  const uploaded = await app.inject({ method: 'POST', url: '/v1/ensembles', ...tinyUpload() });
  version = uploaded.json().version;
  const submitted = await app.inject({
    method: 'POST',
    url: '/v1/ensembles/tiny/predictions',
    headers: { prefer: 'wait=20' },
    payload: { input: { shape: [1, 3], data: [1, 2, 3] } },
  });
  jobId = submitted.json().id;
  routes = await documentedRoutes(app);
});

afterAll(() => api?.stop());

/** One request to make, and whether it is valid (then it must succeed). */
interface FuzzRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly payload?: string | Buffer;
  readonly valid: boolean;
}

// ---- values -------------------------------------------------------------------------------

const MEMBERS = tinyManifest.members;
const FEATURES = tinyManifest.input.shape[0] as number;

const anyJson = fc.jsonValue({ maxDepth: 4 });
const nastyString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom('', ' ', '..', '../..', '%', '@', 'tiny@', 'tiny@zz', '__proto__', 'constructor', 'a'.repeat(300), '\u0000', '😀'),
);
// Every finite float32, the largest included: a model may overflow on them, and the answer must still be JSON.
const float = fc.float({ noNaN: true, noDefaultInfinity: true });

/** A valid prediction for the tiny ensemble, in JSON form. */
const validPrediction = fc
  .record({
    mode: fc.constantFrom('shared', 'per-member'),
    combine: fc.constantFrom('none', 'mean', 'mean-softmax', 'vote', 'weighted'),
    batch: fc.integer({ min: 1, max: 4 }),
    uncertainty: fc.boolean(),
    priority: fc.option(fc.integer({ min: 1, max: 2_097_151 }), { nil: undefined }),
    seed: fc.array(float, { minLength: 1, maxLength: 8 }),
  })
  .map(({ mode, combine, batch, uncertainty, priority, seed }) => {
    const shape = mode === 'per-member' ? [MEMBERS, batch, FEATURES] : [batch, FEATURES];
    const size = shape.reduce((a, b) => a * b, 1);
    const data = Array.from({ length: size }, (_, i) => seed[i % seed.length] as number);
    return {
      input: { shape, data },
      mode,
      combine,
      uncertainty,
      ...(combine === 'weighted' ? { weights: Array.from({ length: MEMBERS }, (_, m) => m + 1) } : {}),
      ...(priority === undefined ? {} : { priority }),
    };
  });

/** `value` with the value at one random path replaced by anything. */
function mutated<T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> {
  return fc.tuple(valid, fc.nat(), anyJson, fc.boolean()).map(([value, pick, replacement, remove]) => {
    const copy = structuredClone(value) as unknown;
    const paths: (string | number)[][] = [];
    const walk = (node: unknown, path: (string | number)[]) => {
      paths.push(path);
      if (Array.isArray(node)) for (const [i, item] of node.slice(0, 4).entries()) walk(item, [...path, i]);
      else if (node && typeof node === 'object') for (const [key, item] of Object.entries(node)) walk(item, [...path, key]);
    };
    walk(copy, []);
    const path = paths[pick % paths.length] as (string | number)[];
    if (path.length === 0) return replacement;
    let parent = copy as Record<string | number, unknown>;
    for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
    const last = path.at(-1) as string | number;
    if (remove && !Array.isArray(parent)) delete parent[last];
    else parent[last] = replacement;
    return copy;
  });
}

/** Deeply nested JSON, as text (no parser should recurse on it unbounded). */
const deepJson = fc
  .record({ depth: fc.integer({ min: 1_000, max: 50_000 }), open: fc.constantFrom('[', '{"a":', '{"__proto__":') })
  .map(({ depth, open }) => {
    const close = open === '[' ? ']' : '}';
    return `${open.repeat(depth)}1${close.repeat(depth)}`;
  });

const garbageBody = fc.oneof(
  anyJson.map((value) => JSON.stringify(value)),
  fc.string({ maxLength: 200 }),
  fc.uint8Array({ maxLength: 400 }).map((bytes) => Buffer.from(bytes)),
  deepJson,
  fc.constantFrom('', '{', '{"input":', 'null', '[]', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{}}}'),
);

const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-16',
  'application/octet-stream',
  'multipart/form-data',
  'multipart/form-data; boundary=zz',
  'text/plain',
  'application/x-www-form-urlencoded',
  'application/xml',
  ';;;',
  'application/',
);

const extraHeaders = fc.record(
  {
    prefer: fc.constantFrom('wait=0', 'wait=1', 'wait=99999999999999999999', 'wait=-1', 'wait=', 'respond-async', 'wait=1, wait=2'),
    'idempotency-key': nastyString.filter((value) => /^[\x20-\x7e]+$/.test(value)),
    accept: fc.constantFrom('application/json', 'application/octet-stream', '*/*', 'text/event-stream', 'image/png'),
    authorization: fc.constantFrom('Bearer nope', 'Basic Zm9vOmJhcg==', 'garbage'),
    // The Open Inference Protocol's binary tensor data extension: the JSON header's length.
    'inference-header-content-length': fc.constantFrom('0', '1', '2', '40', '-1', 'abc', '1e3', '99999999999999999999'),
  },
  { requiredKeys: [] },
);

// ---- requests per route -----------------------------------------------------------------------

/** Path parameter values: known good ones, and anything. */
function pathValue(route: DocumentedRoute, name: string): fc.Arbitrary<string> {
  // `.` and `..` (even escaped) are resolved away as URL segments by every client: they never reach the route.
  const nasty = nastyString.filter((value) => value !== '.' && value !== '..');
  if (name === 'id') return fc.oneof(fc.constant(jobId), fc.uuid(), nasty);
  if (name === 'version') return fc.oneof(fc.constantFrom(version, version.slice(0, 12)), nasty, fc.stringMatching(/^[0-9a-f]{1,70}$/));
  // DELETE of the tiny ensemble would take it from the rest of the run: it deletes its own.
  const known = route.method === 'DELETE' ? ['doomed'] : ['tiny', `tiny@${version}`, `tiny@${version.slice(0, 12)}`];
  return fc.oneof(fc.constantFrom(...known), nasty, fc.stringMatching(/^[a-z]{1,8}@[0-9a-f]{1,70}$/));
}

function pathValues(route: DocumentedRoute): fc.Arbitrary<Record<string, string>> {
  const names = route.parameters.filter((p) => p.in === 'path').map((p) => p.name);
  return fc
    .tuple(...names.map((name) => pathValue(route, name)))
    .map((values) => Object.fromEntries(names.map((n, i) => [n, values[i] as string])));
}

const queryString = fc
  .array(fc.tuple(fc.constantFrom('mode', 'combine', 'weights', 'uncertainty', 'priority', 'x', '__proto__'), nastyString), {
    maxLength: 4,
  })
  .map((pairs) => (pairs.length ? `?${pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}` : ''));

/** The valid requests of a route (empty when fuzzing cannot know one). */
function validRequests(route: DocumentedRoute): fc.Arbitrary<FuzzRequest>[] {
  const at = (values: Record<string, string>) => fillPath(route.path, values);
  const base = { method: route.method, headers: {} as Record<string, string>, valid: true };
  switch (`${route.method} ${route.path}`) {
    case 'POST /v1/ensembles':
      return [
        fc.constant(null).map(() => {
          const { payload, headers } = tinyUpload();
          return { ...base, url: route.path, payload, headers };
        }),
      ];
    case 'DELETE /v1/ensembles/{name}':
      return [fc.constant({ ...base, url: at({ name: 'doomed' }) })];
    case 'POST /v1/ensembles/{name}/predictions':
      return [
        fc.tuple(validPrediction, fc.boolean()).map(([body, wait]) => ({
          ...base,
          url: at({ name: `tiny@${version}` }),
          headers: { 'content-type': 'application/json', ...(wait ? { prefer: 'wait=20' } : {}) },
          payload: JSON.stringify(body),
        })),
        validPrediction.map((body) => {
          const { input, weights, ...options } = body as typeof body & { weights?: number[] };
          const query = new URLSearchParams(
            Object.entries({ ...options, ...(weights ? { weights: weights.join(',') } : {}) }).map(([k, v]): [string, string] => [
              k,
              String(v),
            ]),
          );
          const tensor = float32Tensor('input', input.shape, Float32Array.from(input.data));
          return {
            ...base,
            url: `${at({ name: `tiny@${version}` })}?${query}`,
            headers: { 'content-type': 'application/octet-stream', prefer: 'wait=20' },
            payload: Buffer.from(writeSafetensors([tensor])),
          };
        }),
      ];
    case 'POST /v2/models/{name}/infer':
    case 'POST /v2/models/{name}/versions/{version}/infer':
      return [
        validPrediction.map(({ input, mode, combine, uncertainty, ...rest }) => ({
          ...base,
          url: at({ name: 'tiny', version }),
          headers: { 'content-type': 'application/json' },
          payload: JSON.stringify({
            inputs: [{ name: 'input', shape: input.shape, datatype: 'FP32', data: input.data }],
            parameters: { mode, combine, uncertainty, ...('weights' in rest ? { weights: rest.weights } : {}) },
          }),
        })),
        // The binary tensor data extension: the input's bytes after the JSON header, the outputs answered as binary.
        validPrediction.map(({ input, mode }) => {
          const header = Buffer.from(
            JSON.stringify({
              inputs: [{ name: 'input', shape: input.shape, datatype: 'FP32', parameters: { binary_data_size: input.data.length * 4 } }],
              parameters: { mode, binary_data_output: true },
            }),
          );
          const data = Buffer.from(Float32Array.from(input.data).buffer);
          return {
            ...base,
            url: at({ name: 'tiny', version }),
            headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(header.length) },
            payload: Buffer.concat([header, data]),
          };
        }),
      ];
    case 'DELETE /v1/jobs/{id}':
      // Its job has finished, so it is a 409 by design; the route is fuzzed like the others.
      return [];
    default: {
      if (route.body) return [];
      const values: Record<string, string> = { id: jobId, name: 'tiny', version };
      return [fc.constant({ ...base, url: at(values) })];
    }
  }
}

/** Valid requests with one part changed, and garbage of every kind. */
function hostileRequests(route: DocumentedRoute): fc.Arbitrary<FuzzRequest> {
  const bodies: fc.Arbitrary<string | Buffer | undefined>[] = [garbageBody, fc.constant(undefined)];
  if (route.path === '/v1/ensembles/{name}/predictions') {
    bodies.push(mutated(validPrediction).map((value) => JSON.stringify(value)));
    bodies.push(safetensorsBodies);
  }
  if (route.path.startsWith('/v2/models/') && route.path.endsWith('/infer')) {
    bodies.push(
      mutated(
        validPrediction.map(({ input }) => ({ inputs: [{ name: 'input', shape: input.shape, datatype: 'FP32', data: input.data }] })),
      ).map((value) => JSON.stringify(value)),
    );
  }
  if (route.path === '/v1/ensembles' && route.method === 'POST') bodies.push(uploads);
  return fc
    .record({
      values: pathValues(route),
      query: queryString,
      type: fc.option(contentType, { nil: undefined }),
      extra: extraHeaders,
      body: fc.oneof(...bodies),
    })
    .map(({ values, query, type, extra, body }) => {
      const headers: Record<string, string> = { ...extra };
      let payload = body;
      // A multipart body brings its own boundary; keep it most of the time.
      if (Buffer.isBuffer(body) && body.subarray(0, 2).toString() === '--') {
        const boundary = body.toString('latin1', 2, body.indexOf('\r\n'));
        headers['content-type'] = type === undefined ? `multipart/form-data; boundary=${boundary}` : type;
      } else if (type !== undefined) headers['content-type'] = type;
      if (route.method === 'GET' && payload !== undefined) payload = undefined;
      return { method: route.method, url: fillPath(route.path, values) + query, headers, payload, valid: false };
    });
}

/** Safetensors prediction bodies: valid, with lying headers, or enormous declared shapes. */
const safetensorsBodies: fc.Arbitrary<Buffer> = fc.oneof(
  fc
    .record({
      dtype: fc.constantFrom('F32', 'F16', 'BF16', 'F64', 'I64', 'U8', 'BOOL', 'F4', 'X'),
      shape: fc.array(fc.oneof(fc.integer({ min: 0, max: 4 }), fc.constantFrom(1e9, 2 ** 53 - 1, 2 ** 53, -1, 1.5)), { maxLength: 20 }),
      begin: fc.oneof(fc.constant(0), fc.integer({ min: -1, max: 1e9 })),
      length: fc.integer({ min: 0, max: 64 }),
      name: fc.constantFrom('input', 'x', '__metadata__', '__proto__'),
    })
    .map(({ dtype, shape, begin, length, name }) => {
      const header = Buffer.from(JSON.stringify({ [name]: { dtype, shape, data_offsets: [begin, begin + length] } }));
      const file = Buffer.alloc(8 + header.length + length);
      file.writeBigUInt64LE(BigInt(header.length), 0);
      header.copy(file, 8);
      return file;
    }),
  fc.tuple(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.uint8Array({ maxLength: 64 })).map(([declared, rest]) => {
    const file = Buffer.alloc(8 + rest.length);
    file.writeBigUInt64LE(declared, 0);
    Buffer.from(rest).copy(file, 8);
    return file;
  }),
);

/** Uploads: the tiny ensemble's, with a mutated manifest, random weights or a cut-off body. */
const uploads: fc.Arbitrary<Buffer> = fc
  .record({
    manifest: fc.oneof(mutated(fc.constant(tinyManifest)), fc.constant(tinyManifest)),
    weights: fc.oneof(fc.constant(tinyWeights), fc.uint8Array({ maxLength: 300 }), safetensorsBodies),
    field: fc.constantFrom('weights', 'member', 'manifest', 'other', '__proto__'),
    cut: fc.option(fc.nat(), { nil: undefined }),
  })
  .map(({ manifest, weights, field, cut }) => {
    const { payload } = multipartBody([
      { name: 'manifest', content: JSON.stringify(manifest) ?? '' },
      { name: field, filename: 'w.safetensors', content: weights },
    ]);
    return cut === undefined ? payload : payload.subarray(0, cut % payload.length);
  });

// ---- the property ---------------------------------------------------------------------------

async function check(route: DocumentedRoute, request: FuzzRequest): Promise<void> {
  if (request.valid && route.method === 'DELETE' && route.path === '/v1/ensembles/{name}') {
    // Something to delete: the tiny ensemble under another name.
    const { payload, headers } = multipartBody([
      { name: 'manifest', content: JSON.stringify({ ...tinyManifest, name: 'doomed' }) },
      { name: 'weights', filename: 'w.safetensors', content: tinyWeights },
    ]);
    expect((await app.inject({ method: 'POST', url: '/v1/ensembles', payload, headers })).statusCode).toBe(201);
  }
  const answer = await app.inject({
    method: request.method as 'GET',
    url: request.url,
    headers: request.headers,
    ...(request.payload === undefined ? {} : { payload: request.payload }),
  });
  const problems = answerProblems(route, { statusCode: answer.statusCode, headers: answer.headers, body: answer.body });
  if (answer.statusCode >= 500) {
    problems.push(`${route.method} ${route.path} answered ${answer.statusCode}: ${answer.body.slice(0, 300)}`);
    problems.push(`  logged: ${errorLogs.at(-1)?.slice(0, 1500)}`);
  }
  if (request.valid) {
    if (answer.statusCode >= 300) problems.push(`a valid request got ${answer.statusCode}: ${answer.body.slice(0, 300)}`);
    else if (request.headers.prefer === 'wait=20' && answer.json().status !== 'completed')
      problems.push(`a valid request that waited did not complete: ${answer.body.slice(0, 300)}`);
  }
  if (problems.length > 0) throw new Error(problems.join('\n'));
}

describe('every documented route, fuzzed', () => {
  it('answers only documented statuses with documented bodies, never 5xx, and serves every valid request', async () => {
    expect(routes.length).toBeGreaterThanOrEqual(11);
    const failures: string[] = [];
    let requests = 0;
    const started = performance.now();
    for (const [index, route] of routes.entries()) {
      const kinds = [...validRequests(route), hostileRequests(route)];
      for (const [k, requestArbitrary] of kinds.entries()) {
        const seed = SEED + index * 16 + k;
        const runs = k === kinds.length - 1 ? RUNS * 5 : RUNS;
        const details = await fc.check(
          fc.asyncProperty(requestArbitrary, async (request) => {
            requests++;
            await check(route, request);
          }),
          { seed, numRuns: runs, endOnFailure: true },
        );
        if (details.failed) {
          const example = JSON.stringify(details.counterexample?.[0], (_, v) => (v?.type === 'Buffer' ? `<${v.data.length} bytes>` : v));
          const problem = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
          failures.push(
            `${route.method} ${route.path} (seed ${seed}, run ${details.numRuns}): ${problem}\n  request: ${example?.slice(0, 600)}`,
          );
        }
      }
    }
    const seconds = (performance.now() - started) / 1000;
    console.log(`fuzzed ${routes.length} routes with ${requests} requests in ${seconds.toFixed(1)} s`);
    expect(failures).toEqual([]);
  });
});
