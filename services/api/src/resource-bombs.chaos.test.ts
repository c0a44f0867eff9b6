/**
 * Resource bombs, refused before anything their size implies is allocated:
 * bodies and uploads over their limits, prediction inputs with enormous
 * shapes or deep nesting, safetensors headers (prediction bodies and
 * uploads) that declare enormous tensors or lie about their offsets, and
 * manifests that imply billions of parameters. Each gets a 4xx whose code
 * names the problem, at once, and the API's heap stays where it was.
 */
import { float32Tensor, writeSafetensors } from '@ensembles/core';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { multipartBody } from './testing/multipart.js';
import { startTestApi, type TestApi } from './testing/test-api.js';
import { tinyManifest, tinyUpload, tinyWeights } from './testing/tiny-ensemble.js';

const MAX_BODY_BYTES = 1 << 20;
const MAX_UPLOAD_BYTES = 4 << 20;
const MiB = 1 << 20;
/** Heap growth allowed around one refused request: generous, far below what any bomb would take. */
const HEAP_BOUND = 64 * MiB;

let api: TestApi;
let app: FastifyInstance;

beforeAll(async () => {
  api = await startTestApi({ REDIS_PREFIX: 'bombs', MAX_BODY_BYTES: String(MAX_BODY_BYTES), MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES) });
  app = api.app;
  expect((await app.inject({ method: 'POST', url: '/v1/ensembles', ...tinyUpload() })).statusCode).toBe(201);
});

afterAll(() => api?.stop());

/** A safetensors file with this header (as JSON) and `dataLength` zero bytes of data; `declared` overrides the header length. */
function safetensors(header: unknown, dataLength = 0, declared?: bigint): Buffer {
  const json = Buffer.from(JSON.stringify(header));
  const file = Buffer.alloc(8 + json.length + dataLength);
  file.writeBigUInt64LE(declared ?? BigInt(json.length), 0);
  json.copy(file, 8);
  return file;
}

function upload(manifest: unknown, weights: Uint8Array) {
  return multipartBody([
    { name: 'manifest', content: JSON.stringify(manifest) },
    { name: 'weights', filename: 'w.safetensors', content: weights },
  ]);
}

const predictions = '/v1/ensembles/tiny/predictions';
const binary = { 'content-type': 'application/octet-stream' };
const nested = (depth: number) => `${'['.repeat(depth)}1${']'.repeat(depth)}`;

interface Bomb {
  readonly what: string;
  readonly request: () => { url: string; headers?: Record<string, string>; payload: string | Buffer | object };
  readonly status: number;
  readonly code: string;
  /** A fragment of the message that names the problem. */
  readonly says: string;
}

const bombs: Bomb[] = [
  {
    what: 'a JSON body over MAX_BODY_BYTES',
    request: () => ({ url: predictions, payload: { input: { shape: [1, 3], data: Array(MAX_BODY_BYTES).fill(1) } } }),
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
    says: 'too large',
  },
  {
    what: 'a safetensors prediction body over MAX_BODY_BYTES',
    request: () => ({ url: predictions, headers: binary, payload: safetensors({}, MAX_BODY_BYTES) }),
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
    says: 'too large',
  },
  {
    what: 'an uploaded file over MAX_UPLOAD_BYTES',
    request: () => {
      const { payload, headers } = upload(tinyManifest, new Uint8Array(MAX_UPLOAD_BYTES + 1));
      return { url: '/v1/ensembles', headers, payload };
    },
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
    says: 'too large',
  },
  {
    what: 'an input of shape [1e9, 1e9]',
    request: () => ({ url: predictions, payload: { input: { shape: [1e9, 1e9], data: [1, 2, 3] } } }),
    status: 400,
    code: 'INPUT_INVALID',
    says: 'needs 1000000000000000000 values, got 3',
  },
  {
    what: 'an input of 16 dimensions of 2^40',
    request: () => ({ url: predictions, payload: { input: { shape: Array(16).fill(2 ** 40), data: [1] } } }),
    status: 400,
    code: 'INPUT_INVALID',
    says: 'values, got 1',
  },
  {
    what: 'an input shape beyond safe integers',
    request: () => ({ url: predictions, payload: { input: { shape: [2 ** 60, 3], data: [1] } } }),
    status: 400,
    code: 'REQUEST_INVALID',
    says: 'body.input.shape.0',
  },
  {
    what: 'input data nested 100 000 deep',
    request: () => ({
      url: predictions,
      headers: { 'content-type': 'application/json' },
      payload: `{"input":{"shape":[1,3],"data":${nested(100_000)}}}`,
    }),
    status: 400,
    code: 'REQUEST_INVALID',
    says: 'body.input.data',
  },
  {
    what: 'a body of objects nested 50 000 deep with "__proto__" keys',
    request: () => ({
      url: predictions,
      headers: { 'content-type': 'application/json' },
      payload: `${'{"__proto__":'.repeat(50_000)}1${'}'.repeat(50_000)}`,
    }),
    status: 400,
    code: 'FST_ERR_CTP_INVALID_JSON_BODY',
    says: 'JSON',
  },
  {
    what: 'input values beyond float32',
    request: () => ({ url: predictions, payload: { input: { shape: [1, 3], data: [1e39, -1e300, 1] } } }),
    status: 400,
    code: 'REQUEST_INVALID',
    says: 'float32',
  },
  {
    what: 'a safetensors input holding NaN',
    request: () => ({
      url: predictions,
      headers: binary,
      payload: Buffer.from(writeSafetensors([float32Tensor('input', [1, 3], Float32Array.of(1, Number.NaN, 3))])),
    }),
    status: 400,
    code: 'INPUT_INVALID',
    says: 'holds NaN at index 1; values must be finite',
  },
  {
    what: 'a safetensors body whose header declares a [1e9, 1e9] tensor',
    request: () => ({
      url: predictions,
      headers: binary,
      payload: safetensors({ input: { dtype: 'F32', shape: [1e9, 1e9], data_offsets: [0, 12] } }, 12),
    }),
    status: 400,
    code: 'SAFETENSORS_BAD_TENSOR',
    says: 'F32 [1000000000, 1000000000] needs more than 9007199254740991 bytes',
  },
  {
    what: 'a safetensors body whose header length is 2^63',
    request: () => ({ url: predictions, headers: binary, payload: safetensors({}, 0, 2n ** 63n) }),
    status: 400,
    code: 'SAFETENSORS_BAD_HEADER',
    says: 'exceeds the limit',
  },
  {
    what: 'a safetensors body whose offsets run past its data',
    request: () => ({
      url: predictions,
      headers: binary,
      payload: safetensors({ input: { dtype: 'F32', shape: [1e6, 3], data_offsets: [0, 12e6] } }, 12),
    }),
    status: 400,
    code: 'SAFETENSORS_BAD_TENSOR',
    says: 'run past the 12-byte data section',
  },
  {
    what: 'a safetensors body with a tensor that fits its file but not the ensemble',
    request: () => ({
      url: predictions,
      headers: binary,
      payload: Buffer.from(writeSafetensors([float32Tensor('input', [16_384, 4], new Float32Array(16_384 * 4))])),
    }),
    status: 400,
    code: 'INPUT_INVALID',
    says: "does not match the manifest's [*, 3]",
  },
  {
    what: 'uploaded weights whose header declares a [1e9, 1e9] tensor',
    request: () => {
      const { payload, headers } = upload(
        tinyManifest,
        safetensors({ 'fc.weight': { dtype: 'F32', shape: [1e9, 1e9], data_offsets: [0, 16] } }, 16),
      );
      return { url: '/v1/ensembles', headers, payload };
    },
    status: 400,
    code: 'SAFETENSORS_BAD_TENSOR',
    says: 'needs more than 9007199254740991 bytes',
  },
  {
    what: 'uploaded weights whose offsets overlap',
    request: () => {
      const header = {
        'fc.weight': { dtype: 'F32', shape: [2, 2, 3], data_offsets: [0, 48] },
        'fc.bias': { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] },
      };
      const { payload, headers } = upload(tinyManifest, safetensors(header, 48));
      return { url: '/v1/ensembles', headers, payload };
    },
    status: 400,
    code: 'SAFETENSORS_BAD_TENSOR',
    says: 'overlaps',
  },
  {
    what: 'a manifest that implies a trillion parameters',
    request: () => {
      const manifest = {
        ...tinyManifest,
        input: { shape: [1_000_000] },
        layers: [{ op: 'linear', name: 'fc', in: 1_000_000, out: 1_000_000 }],
      };
      const { payload, headers } = upload(manifest, tinyWeights);
      return { url: '/v1/ensembles', headers, payload };
    },
    status: 400,
    code: 'MANIFEST_INVALID',
    says: 'the limit is 1073741824',
  },
  {
    what: 'a manifest of 65 536 members of a million parameters',
    request: () => {
      const manifest = {
        ...tinyManifest,
        members: 65_536,
        input: { shape: [1000] },
        layers: [{ op: 'linear', name: 'fc', in: 1000, out: 1000 }],
      };
      const { payload, headers } = upload(manifest, tinyWeights);
      return { url: '/v1/ensembles', headers, payload };
    },
    status: 400,
    code: 'MANIFEST_INVALID',
    says: '65536 x 1001000',
  },
];

describe('resource bombs', () => {
  it.each(bombs)('refuses $what with $status $code, at once, without the heap growing', async (bomb) => {
    const { url, headers, payload } = bomb.request();
    const heapBefore = process.memoryUsage().heapUsed;
    const started = performance.now();
    const response = await app.inject({ method: 'POST', url, headers: headers ?? {}, payload });
    const ms = performance.now() - started;
    const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
    console.log(`${bomb.what}: ${response.statusCode} in ${ms.toFixed(1)} ms, heap ${(heapGrowth / MiB).toFixed(1)} MiB`);
    expect(response.statusCode).toBe(bomb.status);
    const { error } = response.json();
    expect(error.code).toBe(bomb.code);
    expect(JSON.stringify(error)).toContain(bomb.says);
    expect(ms).toBeLessThan(5_000);
    expect(heapGrowth).toBeLessThan(HEAP_BOUND);
  });

  it('still serves the ensemble afterwards', async () => {
    const response = await app.inject({ method: 'POST', url: predictions, payload: { input: { shape: [1, 3], data: [1, 2, 3] } } });
    expect(response.statusCode).toBe(202);
  });
});
