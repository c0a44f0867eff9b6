/**
 * Members exported to ONNX by PyTorch, uploaded as `member` parts: imported
 * into a graph manifest and stacked weights, served by the worker like any
 * ensemble, through REST (JSON and safetensors bodies) and the Open
 * Inference Protocol (`INT64` token ids), matching PyTorch's `vmap` outputs.
 * The files are core's fixtures (`packages/ensemble-core/fixtures/onnx`).
 */
import { readFileSync } from 'node:fs';
import { readSafetensors, toFloat32 } from '@ensembles/core';
import { errorBodySchema } from '@ensembles/protocol';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { multipartBody } from './testing/multipart.js';
import { startTestApi, type TestApi } from './testing/test-api.js';

const fixture = (path: string) => readFileSync(new URL(`../../../packages/ensemble-core/fixtures/onnx/${path}`, import.meta.url));
const members = (dir: string, exporter: string) =>
  [0, 1, 2].map((m) => ({
    name: 'member',
    filename: `member${m}.${exporter}.onnx`,
    content: fixture(`${dir}/member${m}.${exporter}.onnx`),
  }));
const tensorOf = (path: string, key: string) => {
  const tensor = readSafetensors(fixture(path)).tensors.get(key);
  if (!tensor) throw new Error(`${path} has no ${key}`);
  return { shape: [...tensor.shape], data: toFloat32(tensor), bytes: tensor.bytes, dtype: tensor.dtype };
};

let app: FastifyInstance;
let api: TestApi;

beforeAll(async () => {
  api = await startTestApi({ REDIS_PREFIX: 'onnxupload', MAX_WAIT_SECONDS: '30' }, { withWorker: true });
  app = api.app;
});

afterAll(() => api?.stop());

async function upload(parts: { name: string; filename?: string; content: string | Uint8Array }[]) {
  const { payload, headers } = multipartBody(parts);
  return app.inject({ method: 'POST', url: '/v1/ensembles', payload, headers });
}

function expectClose(actual: readonly number[], expected: Float32Array): void {
  expect(actual.length).toBe(expected.length);
  const worst = actual.reduce((most, value, i) => Math.max(most, Math.abs(value - (expected[i] as number))), 0);
  expect(worst).toBeLessThan(1e-4);
}

describe.each([
  ['transformer-prenorm', 'dynamo'],
  ['resnet', 'torchscript'],
])('%s exported with the %s exporter', (dir, exporter) => {
  const name = `${dir}-${exporter}`;

  it('registers from its ONNX members and a name', async () => {
    const response = await upload([{ name: 'name', content: name }, ...members(dir, exporter)]);
    expect(response.statusCode).toBe(201);
    expect(response.json()).toMatchObject({ name, members: 3, created: true });
  });

  it.each([
    ['shared', 'input-shared.safetensors'],
    ['per-member', 'input-per-member.safetensors'],
  ])('predicts with %s input as JSON and as a safetensors body, matching PyTorch', async (mode, inputFile) => {
    const input = tensorOf(`${dir}/${inputFile}`, 'input');
    const expected = tensorOf(`${dir}/expected.safetensors`, mode);
    const asJson = await app.inject({
      method: 'POST',
      url: `/v1/ensembles/${name}/predictions`,
      headers: { prefer: 'wait=30' },
      payload: { input: { shape: input.shape, data: Array.from(input.data) }, mode, combine: 'none' },
    });
    expect(asJson.statusCode).toBe(200);
    expect(asJson.json().result.members.shape).toEqual(expected.shape);
    expectClose(asJson.json().result.members.data, expected.data);

    // The safetensors body as PyTorch wrote it (I64 token ids for the transformer).
    const asFile = await app.inject({
      method: 'POST',
      url: `/v1/ensembles/${name}/predictions?mode=${mode}&combine=none`,
      headers: { 'content-type': 'application/octet-stream', prefer: 'wait=30' },
      payload: fixture(`${dir}/${inputFile}`),
    });
    expect(asFile.statusCode).toBe(200);
    expectClose(asFile.json().result.members.data, expected.data);
  });
});

describe('token ids', () => {
  it('go through the Open Inference Protocol as INT64, which the metadata names', async () => {
    const metadata = await app.inject({ method: 'GET', url: '/v2/models/transformer-prenorm-dynamo' });
    expect(metadata.json().inputs).toEqual([{ name: 'input', datatype: 'INT64', shape: [-1, 16] }]);
    const input = tensorOf('transformer-prenorm/input-shared.safetensors', 'input');
    const expected = tensorOf('transformer-prenorm/expected.safetensors', 'shared');
    const response = await app.inject({
      method: 'POST',
      url: '/v2/models/transformer-prenorm-dynamo/infer',
      payload: {
        inputs: [{ name: 'input', datatype: 'INT64', shape: input.shape, data: Array.from(input.data) }],
        outputs: [{ name: 'members' }],
      },
    });
    expect(response.statusCode).toBe(200);
    expectClose(response.json().outputs[0].data, expected.data);
  });

  it('outside the embedding table are refused, naming the value and the range', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/ensembles/transformer-prenorm-dynamo/predictions',
      payload: { input: { shape: [1, 16], data: [...new Array(15).fill(1), 50] } },
    });
    expect(response.statusCode).toBe(400);
    expect(errorBodySchema.parse(response.json()).error.message).toBe(
      'input holds 50 at index 15; token ids must be integers from 0 to 49',
    );
  });
});

describe('refused uploads', () => {
  it.each([
    [
      'members of different architectures',
      () => [
        ...members('resmlp', 'dynamo').slice(0, 2),
        { name: 'member', filename: 'other.onnx', content: fixture('refused/other-architecture.onnx') },
      ],
      'MEMBERS_MISMATCH',
      /^other\.onnx differs from member0\.dynamo\.onnx at node/,
    ],
    [
      'an unsupported op',
      () => [{ name: 'member', filename: 'cumsum.onnx', content: fixture('refused/unsupported-op.onnx') }],
      'ONNX_IMPORT_INVALID',
      /^cumsum\.onnx: node .* \(CumSum\): op CumSum is not supported$/,
    ],
    [
      'a truncated file',
      () => [{ name: 'member', filename: 'cut.onnx', content: fixture('resmlp/member0.dynamo.onnx').subarray(0, 4000) }],
      'ONNX_IMPORT_INVALID',
      /^cut\.onnx is not a readable ONNX model/,
    ],
  ])('%s, with one line naming the file', async (_what, parts, code, message) => {
    const response = await upload([{ name: 'name', content: 'refused' }, ...parts()]);
    expect(response.statusCode).toBe(400);
    const { error } = errorBodySchema.parse(response.json());
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
  });

  it('ONNX members without a name, or with a manifest of layers', async () => {
    const noName = await upload(members('resmlp', 'dynamo'));
    expect(noName.statusCode).toBe(400);
    expect(errorBodySchema.parse(noName.json()).error.message).toBe('the upload has ONNX members but no name: add a name field');
    const withLayers = await upload([
      { name: 'manifest', content: JSON.stringify({ name: 'x', layers: [] }) },
      ...members('resmlp', 'dynamo'),
    ]);
    expect(withLayers.statusCode).toBe(400);
    expect(errorBodySchema.parse(withLayers.json()).error.message).toMatch(/the manifest comes from their graph/);
  });
});
