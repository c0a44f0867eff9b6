/**
 * Conformance with the Open Inference Protocol's HTTP/REST API
 * (kserve/open-inference-protocol, specification/protocol/inference_rest.md)
 * and Triton's binary tensor data extension (extension_binary_data.md),
 * written from their text: each route, each field of each JSON object, the
 * error object, tensor data flat and nested, the datatypes, parameters, and
 * a binary round trip. Numbers are checked against the library's float64
 * reference forward pass, never against another answer of the service.
 */
import {
  float32Tensor,
  loadStackedEnsemble,
  parseManifest,
  randomMembers,
  readSafetensors,
  referenceForward,
  stackFloat32Members,
  type Tensor,
  writeSafetensors,
  writeStackedEnsemble,
} from '@ensembles/core';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { multipartBody } from './testing/multipart.js';
import { startTestApi, type TestApi } from './testing/test-api.js';
import { tinyManifest, tinyUpload, tinyWeights } from './testing/tiny-ensemble.js';

// The tiny ensemble: N = 2 members, input [3], output [2] (two classes).
const MEMBERS = 2;
const FEATURES = 3;
const CLASSES = 2;
const tiny = loadStackedEnsemble(parseManifest(tinyManifest), readSafetensors(tinyWeights).tensors);

/** The spec's Tensor Data Types table. */
const DATATYPES = ['BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64', 'FP16', 'FP32', 'FP64', 'BYTES'];

let api: TestApi;
let app: FastifyInstance;
let version: string;

beforeAll(async () => {
  api = await startTestApi({ REDIS_PREFIX: 'oip', MAX_WAIT_SECONDS: '20' }, { withWorker: true });
  app = api.app;
  const uploaded = await app.inject({ method: 'POST', url: '/v1/ensembles', ...tinyUpload() });
  expect(uploaded.statusCode).toBe(201);
  version = uploaded.json().version;
});

afterAll(() => api?.stop());

function get(url: string) {
  return app.inject({ method: 'GET', url });
}

function infer(payload: unknown, url = '/v2/models/tiny/infer') {
  return app.inject({ method: 'POST', url, payload: payload as object });
}

/** Member outputs [N, B, C] of the float64 reference pass. */
function reference(rows: number[][]): { shape: readonly number[]; data: Float64Array } {
  const input: Tensor = { shape: [rows.length, FEATURES], data: Float32Array.from(rows.flat()) };
  return referenceForward(tiny, input, 'shared');
}

function softmax(logits: readonly number[]): number[] {
  const top = Math.max(...logits);
  const exps = logits.map((x) => Math.exp(x - top));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((x) => x / total);
}

/** Rows of member `m` of the reference output, per sample. */
function memberRows(members: { data: Float64Array }, m: number, batch: number): number[][] {
  return Array.from({ length: batch }, (_, b) =>
    Array.from(members.data.subarray((m * batch + b) * CLASSES, (m * batch + b + 1) * CLASSES)),
  );
}

function expectClose(actual: readonly (number | null)[], expected: ArrayLike<number>, tolerance = 1e-4): void {
  expect(actual).toHaveLength(expected.length);
  for (const [i, value] of actual.entries()) expect(Math.abs((value as number) - (expected[i] as number))).toBeLessThan(tolerance);
}

/** "The HTTP body must contain the ... error response object": `{ "error": $string }`. */
function expectErrorObject(response: LightMyRequestResponse, status: number, mentions: readonly string[] = []): void {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  const body = response.json();
  expect(Object.keys(body)).toEqual(['error']);
  expect(typeof body.error).toBe('string');
  for (const word of mentions) expect(body.error).toContain(word);
}

const rows = [
  [0.5, -1, 2],
  [3, 0.25, -0.75],
];
const input = { name: 'input', shape: [2, FEATURES], datatype: 'FP32', data: rows.flat() };

describe('Health: "server live", "server ready" and "model ready"', () => {
  it('GET v2/health/live answers 200 with $live_server_response { "live": true }', async () => {
    const response = await get('/v2/health/live');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ live: true });
  });

  it('GET v2/health/ready answers 200 with { "ready": true } once the service can take requests', async () => {
    const response = await get('/v2/health/ready');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ ready: true });
  });

  it('GET v2/models/<model_name>[/versions/<model_version>]/ready answers $ready_model_response { "name", "ready" }', async () => {
    for (const url of [
      '/v2/models/tiny/ready',
      `/v2/models/tiny/versions/${version}/ready`,
      `/v2/models/tiny/versions/${version.slice(0, 12)}/ready`,
    ]) {
      const response = await get(url);
      expect(response.statusCode, url).toBe(200);
      expect(response.json()).toEqual({ name: 'tiny', ready: true });
    }
  });

  it('answers a model that is not there with an HTTP error status and { "error" }', async () => {
    expectErrorObject(await get('/v2/models/nope/ready'), 404, ['nope']);
    expectErrorObject(await get(`/v2/models/tiny/versions/${'0'.repeat(64)}/ready`), 404, ['0'.repeat(64)]);
  });
});

describe('Server Metadata: GET v2', () => {
  it('answers 200 with $metadata_server_response { "name", "version", "extensions": [ $string, ... ] }', async () => {
    for (const url of ['/v2', '/v2/']) {
      const response = await get(url);
      expect(response.statusCode, url).toBe(200);
      const body = response.json();
      expect(Object.keys(body).sort()).toEqual(['extensions', 'name', 'version']);
      expect(typeof body.name).toBe('string');
      expect(body.name.length).toBeGreaterThan(0);
      expect(body.version).toMatch(/^\d+\.\d+\.\d+/);
      expect(body.extensions.every((e: unknown) => typeof e === 'string')).toBe(true);
    }
  });

  it('reports "binary_tensor_data" in the extensions field, as a server with the binary extension does', async () => {
    expect((await get('/v2')).json().extensions).toContain('binary_tensor_data');
  });
});

describe('Model Metadata: GET v2/models/<model_name>[/versions/<model_version>]', () => {
  it('answers 200 with $metadata_model_response: name, versions, platform, inputs and outputs as $metadata_tensor', async () => {
    const response = await get('/v2/models/tiny');
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.name).toBe('tiny');
    expect(body.versions).toEqual([version]);
    // Platform names use the format "<project>_<format>".
    expect(body.platform).toMatch(/^[^_\s]+_[^_\s]+$/);
    for (const tensor of [...body.inputs, ...body.outputs]) {
      expect(Object.keys(tensor).sort()).toEqual(['datatype', 'name', 'shape']);
      expect(DATATYPES).toContain(tensor.datatype);
      expect(tensor.shape.every((d: number) => Number.isInteger(d) && (d === -1 || d >= 0))).toBe(true);
    }
  });

  it('gives the inputs and every output that can be asked for, "variable-size dimensions ... specified as -1"', async () => {
    const body = (await get('/v2/models/tiny')).json();
    expect(body.inputs).toEqual([{ name: 'input', datatype: 'FP32', shape: [-1, FEATURES] }]);
    expect(body.outputs).toEqual([
      { name: 'members', datatype: 'FP32', shape: [MEMBERS, -1, CLASSES] },
      { name: 'combined', datatype: 'FP32', shape: [-1, CLASSES] },
      { name: 'predictiveEntropy', datatype: 'FP32', shape: [-1] },
      { name: 'expectedEntropy', datatype: 'FP32', shape: [-1] },
      { name: 'mutualInformation', datatype: 'FP32', shape: [-1] },
      { name: 'disagreement', datatype: 'FP32', shape: [-1] },
    ]);
  });

  it('answers each of "the model versions that may be explicitly requested via the appropriate endpoint"', async () => {
    // A second version of another name, with another output size: each version's metadata is its own.
    const wider = { ...tinyManifest, name: 'wider', layers: [{ op: 'linear', name: 'fc', in: FEATURES, out: 4 }] };
    const upload = (manifest: typeof wider, seed: number) => {
      const architecture = parseManifest(manifest);
      const weights = writeStackedEnsemble(stackFloat32Members(architecture, randomMembers(architecture, seed)));
      return app.inject({
        method: 'POST',
        url: '/v1/ensembles',
        ...multipartBody([
          { name: 'manifest', content: JSON.stringify(manifest) },
          { name: 'weights', filename: 'w.safetensors', content: weights },
        ]),
      });
    };
    const first = (await upload(wider, 1)).json().version;
    const second = (await upload({ ...wider, layers: [{ op: 'linear', name: 'fc', in: FEATURES, out: 5 }] }, 2)).json().version;
    const latest = (await get('/v2/models/wider')).json();
    expect(latest.versions).toEqual([second, first]);
    expect(latest.outputs[1]).toEqual({ name: 'combined', datatype: 'FP32', shape: [-1, 5] });
    for (const [v, classes] of [
      [first, 4],
      [second, 5],
      [first.slice(0, 12), 4],
    ] as const) {
      const response = await get(`/v2/models/wider/versions/${v}`);
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ name: 'wider', versions: [second, first] });
      expect(response.json().outputs[1].shape).toEqual([-1, classes]);
    }
    const answered = await infer({ inputs: [{ ...input, data: rows.flat() }] }, `/v2/models/wider/versions/${first}/infer`);
    expect(answered.statusCode).toBe(200);
    expect(answered.json()).toMatchObject({ model_name: 'wider', model_version: first });
    expect(answered.json().outputs[0].shape).toEqual([MEMBERS, 2, 4]);
  });

  it('answers "a failed model metadata request" with an HTTP error status and $metadata_model_error_response', async () => {
    expectErrorObject(await get('/v2/models/nope'), 404, ['nope']);
    expectErrorObject(await get(`/v2/models/tiny/versions/${'f'.repeat(64)}`), 404, ['f'.repeat(64)]);
    expectErrorObject(await get('/v2/models/tiny/versions/zz'), 400, ['zz']);
    expectErrorObject(await get(`/v2/models/tiny@${version}/versions/${version}`), 400, ['version']);
    expectErrorObject(await get('/v2/models/tiny/versions'), 404);
  });
});

describe('Inference: POST v2/models/<model_name>[/versions/<model_version>]/infer', () => {
  it('answers 200 with $inference_response: model_name, model_version, id and outputs as $response_output', async () => {
    const response = await infer({ id: '42', inputs: [input] });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    const body = response.json();
    expect(body.model_name).toBe('tiny');
    expect(body.model_version).toBe(version);
    // "Optional, but if specified this identifier must be returned in the response."
    expect(body.id).toBe('42');
    for (const output of body.outputs) {
      expect(typeof output.name).toBe('string');
      expect(DATATYPES).toContain(output.datatype);
      expect(output.shape.every((d: number) => Number.isInteger(d) && d >= 0)).toBe(true);
      expect(output.data).toHaveLength(output.shape.reduce((a: number, b: number) => a * b, 1));
    }
  });

  it('gives no id when the request had none ("the id identifier given in the request, if any")', async () => {
    const body = (await infer({ inputs: [input] })).json();
    expect(body).not.toHaveProperty('id');
  });

  it('returns "all outputs produced by the model" when outputs is not specified, batched: "the full shape ... of the entire batch"', async () => {
    const body = (await infer({ inputs: [input] })).json();
    expect(body.outputs.map((o: { name: string }) => o.name)).toEqual(['members']);
    const [members] = body.outputs;
    expect(members).toMatchObject({ name: 'members', datatype: 'FP32', shape: [MEMBERS, 2, CLASSES] });
    expectClose(members.data, reference(rows).data);
  });

  it('answers the versioned path with that version ("the specific model version used for inference")', async () => {
    for (const v of [version, version.slice(0, 16)]) {
      const response = await infer({ inputs: [input] }, `/v2/models/tiny/versions/${v}/infer`);
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ model_name: 'tiny', model_version: version });
    }
    expectErrorObject(await infer({ inputs: [input] }, `/v2/models/tiny/versions/${'a'.repeat(64)}/infer`), 404, ['a'.repeat(64)]);
  });

  it('returns the outputs requested, and only those ("the inference server must return the “output0” output tensor")', async () => {
    const members = reference(rows);
    const body = (await infer({ inputs: [input], outputs: [{ name: 'combined' }, { name: 'predictiveEntropy' }] })).json();
    expect(body.outputs.map((o: { name: string }) => o.name)).toEqual(['combined', 'predictiveEntropy']);
    const [combined, entropy] = body.outputs;
    // `combined` asked for without a combine mode: the mean of the members.
    const mean = memberRows(members, 0, 2).flatMap((row, b) => row.map((x, c) => (x + (memberRows(members, 1, 2)[b]?.[c] ?? 0)) / 2));
    expect(combined).toMatchObject({ datatype: 'FP32', shape: [2, CLASSES] });
    expectClose(combined.data, mean);
    const probabilities = [0, 1].map((b) =>
      [0, 1].map((m) => softmax(memberRows(members, m, 2)[b] ?? [])).reduce((sum, p) => sum.map((x, c) => x + (p[c] ?? 0) / 2), [0, 0]),
    );
    expect(entropy).toMatchObject({ datatype: 'FP32', shape: [2] });
    expectClose(
      entropy.data,
      probabilities.map((p) => -p.reduce((s, x) => s + x * Math.log(x), 0)),
    );
  });

  it('takes the server-specific parameters: combine vote answers INT64 classes', async () => {
    const body = (await infer({ inputs: [input], parameters: { combine: 'vote' }, outputs: [{ name: 'combined' }] })).json();
    expect(body.outputs).toHaveLength(1);
    expect(body.outputs[0]).toMatchObject({ name: 'combined', datatype: 'INT64', shape: [2] });
    expect(body.outputs[0].data.every((c: number) => c === 0 || c === 1)).toBe(true);
  });

  it('ignores parameters it does not know, request-level, per input and per output', async () => {
    const response = await infer({
      id: 'p',
      parameters: { content_type: 'np', headers: 'x', priority: 3, timeout: 1000, anything: true },
      inputs: [{ ...input, parameters: { content_type: 'np', shared_memory_region: 'none' } }],
      outputs: [{ name: 'members', parameters: { classification: 0, content_type: 'np' } }],
    });
    expect(response.statusCode, response.body).toBe(200);
    expectClose(response.json().outputs[0].data, reference(rows).data);
  });

  it('ignores fields of the request it does not use (the binary example sends "model_name")', async () => {
    expect((await infer({ model_name: 'tiny', inputs: [input] })).statusCode).toBe(200);
  });

  it('takes tensor data "in their nature multi-dimensional representation, or as a flattened one-dimensional representation"', async () => {
    const flat = (await infer({ inputs: [input] })).json().outputs[0].data;
    const nested = await infer({ inputs: [{ ...input, data: rows }] });
    expect(nested.statusCode).toBe(200);
    expect(nested.json().outputs[0].data).toEqual(flat);
  });

  it.each([
    [
      'a row too short',
      [
        [0.5, -1],
        [3, 0.25, -0.75],
      ],
    ],
    ['too many rows', [...rows, [1, 2, 3]]],
    ['a value where a row should be', [1, [3, 0.25, -0.75]]],
    [
      'a level too deep',
      [
        [[0.5], [-1], [2]],
        [3, 0.25, -0.75],
      ],
    ],
  ])('refuses nested data that does not match the shape (%s), naming the input', async (_what, data) => {
    expectErrorObject(await infer({ inputs: [{ ...input, data }] }), 400, ['input "input"']);
  });

  it.each([
    ['FP64', rows.flat()],
    ['FP16', rows.flat()],
    ['INT32', [1, -2, 3, 4, 0, -6]],
    ['INT64', [1, -2, 3, 4, 0, -6]],
    ['UINT32', [1, 2, 3, 4, 5, 6]],
    ['INT8', [1, -2, 3, 4, 0, -6]],
  ])('converts %s to the FP32 the model takes, giving the same outputs', async (datatype, data) => {
    const asFp32 = (await infer({ inputs: [{ ...input, data }] })).json().outputs[0].data;
    const response = await infer({ inputs: [{ ...input, datatype, data }] });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json().outputs[0].data).toEqual(asFp32);
  });

  it.each([
    ['INT64 beyond 2^24, not exact in float32', 'INT64', [2 ** 24 + 1, 0, 0, 0, 0, 0], ['input "input"', 'INT64']],
    ['INT32 that is not an integer', 'INT32', [1.5, 0, 0, 0, 0, 0], ['input "input"', 'INT32']],
    ['UINT8 out of its range', 'UINT8', [256, 0, 0, 0, 0, 0], ['input "input"', 'UINT8']],
    ['FP64 out of float32 range', 'FP64', [1e39, 0, 0, 0, 0, 0], ['input "input"', 'FP64']],
    ['FP32 given as strings', 'FP32', ['1', '2', '3', '4', '5', '6'], ['input "input"', 'string']],
    ['BOOL', 'BOOL', [true, false, true, false, true, false], ['input "input"', 'BOOL']],
    ['BYTES', 'BYTES', ['a', 'b', 'c', 'd', 'e', 'f'], ['input "input"', 'BYTES']],
    ['a datatype the spec does not define', 'FP8', rows.flat(), ['input "input"', 'FP8']],
  ])('refuses %s, naming the input', async (_what, datatype, data, mentions) => {
    expectErrorObject(await infer({ inputs: [{ ...input, datatype, data }] }), 400, mentions);
  });

  it.each<[string, unknown, number, string[]]>([
    ['no inputs', { inputs: [] }, 400, ['inputs']],
    ['no inputs field', { id: 'x' }, 400, ['inputs']],
    ['an input of another name', { inputs: [{ ...input, name: 'x' }] }, 400, ['"x"', '"input"']],
    ['two inputs', { inputs: [input, { ...input, name: 'second' }] }, 400, ['"second"']],
    ['a shape whose size is not the data', { inputs: [{ ...input, shape: [3, FEATURES] }] }, 400, ['input "input"', '[3, 3]']],
    ['a shape the model does not take', { inputs: [{ ...input, shape: [3, 2] }] }, 400, ['input', '[3, 2]']],
    ['no data', { inputs: [{ name: 'input', shape: [2, FEATURES], datatype: 'FP32' }] }, 400, ['input "input"', 'data']],
    ['an unknown output', { inputs: [input], outputs: [{ name: 'output0' }] }, 400, ['output0']],
    ['an output asked for twice', { inputs: [input], outputs: [{ name: 'members' }, { name: 'members' }] }, 400, ['members']],
    ['an unknown combine mode', { inputs: [input], parameters: { combine: 'median' } }, 400, ['parameters.combine']],
    [
      'combined with combine none',
      { inputs: [input], parameters: { combine: 'none' }, outputs: [{ name: 'combined' }] },
      400,
      ['combined'],
    ],
    ['weights that are not numbers', { inputs: [input], parameters: { weights: '1,x' } }, 400, ['parameters.weights']],
    ['a wrong number of weights', { inputs: [input], parameters: { weights: [1, 2, 3] } }, 400, ['weights']],
    ['a shape that is not a list', { inputs: [{ ...input, shape: 6 }] }, 400, ['inputs[0].shape']],
  ])(
    'answers %s with an HTTP error status and $inference_error_response { "error": <message> }',
    async (_what, payload, status, mentions) => {
      expectErrorObject(await infer(payload), status, mentions);
    },
  );

  it('answers a body that is not JSON, and an unknown model, with { "error" }', async () => {
    expectErrorObject(
      await app.inject({
        method: 'POST',
        url: '/v2/models/tiny/infer',
        headers: { 'content-type': 'application/json' },
        payload: '{"inputs":',
      }),
      400,
      ['JSON'],
    );
    expectErrorObject(await infer({ inputs: [input] }, '/v2/models/nope/infer'), 404, ['nope']);
  });

  it('takes weights as a list or as a comma-separated string (parameter values are $string, $number or $boolean)', async () => {
    const asList = await infer({ inputs: [input], parameters: { weights: [1, 3] }, outputs: [{ name: 'combined' }] });
    const asString = await infer({
      inputs: [input],
      parameters: { combine: 'weighted', weights: '1, 3' },
      outputs: [{ name: 'combined' }],
    });
    expect(asList.statusCode).toBe(200);
    expect(asString.json().outputs).toEqual(asList.json().outputs);
    const members = reference(rows);
    const weighted = memberRows(members, 0, 2).flatMap((row, b) =>
      row.map((x, c) => (x + 3 * (memberRows(members, 1, 2)[b]?.[c] ?? 0)) / 4),
    );
    expectClose(asList.json().outputs[0].data, weighted);
  });
});

/** A request body in the binary extension's form: the JSON header, then the tensors' bytes. */
function binaryRequest(header: unknown, ...tensors: Uint8Array[]): { payload: Buffer; headers: Record<string, string> } {
  // Padded (JSON allows trailing spaces) to an odd length, so that no tensor starts aligned.
  const text = JSON.stringify(header);
  const json = Buffer.from(text.length % 2 === 1 ? text : `${text} `);
  return {
    payload: Buffer.concat([json, ...tensors]),
    headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(json.length) },
  };
}

function littleEndian(values: readonly number[], width: 4 | 8, float = true): Buffer {
  const bytes = Buffer.alloc(values.length * width);
  for (const [i, v] of values.entries()) {
    if (float && width === 4) bytes.writeFloatLE(v, i * width);
    else if (float) bytes.writeDoubleLE(v, i * width);
    else bytes.writeInt32LE(v, i * width);
  }
  return bytes;
}

/** The JSON header and the binary outputs of an answer in the extension's form. */
function readBinaryAnswer(response: LightMyRequestResponse): {
  header: { outputs: { name: string; parameters?: { binary_data_size: number }; data?: number[] }[] };
  rest: Buffer;
} {
  const length = Number(response.headers['inference-header-content-length']);
  expect(Number.isInteger(length)).toBe(true);
  return { header: JSON.parse(response.rawPayload.subarray(0, length).toString('utf8')), rest: response.rawPayload.subarray(length) };
}

describe('Binary tensor data extension', () => {
  const binaryInput = (datatype: string, size: number) => ({
    name: 'input',
    shape: [2, FEATURES],
    datatype,
    parameters: { binary_data_size: size },
  });

  it('reads inputs after the JSON header ("Inference-Header-Content-Length header must be provided") and returns outputs as binary', async () => {
    const request = binaryRequest(
      { id: 'b', inputs: [binaryInput('FP32', 24)], outputs: [{ name: 'members', parameters: { binary_data: true } }] },
      littleEndian(rows.flat(), 4),
    );
    const response = await app.inject({ method: 'POST', url: '/v2/models/tiny/infer', ...request });
    expect(response.statusCode, response.body).toBe(200);
    const { header, rest } = readBinaryAnswer(response);
    expect(header).toMatchObject({ id: 'b', model_name: 'tiny', model_version: version });
    const [members] = header.outputs;
    // "binary_data_size": the size of the tensor binary data, in bytes.
    expect(members).toEqual({
      name: 'members',
      datatype: 'FP32',
      shape: [MEMBERS, 2, CLASSES],
      parameters: { binary_data_size: MEMBERS * 2 * CLASSES * 4 },
    });
    expect(rest.length).toBe(MEMBERS * 2 * CLASSES * 4);
    const values = Array.from({ length: rest.length / 4 }, (_, i) => rest.readFloatLE(i * 4));
    expectClose(values, reference(rows).data);
  });

  it('answers binary outputs "in the same order as the order of the ... output tensors are specified in the JSON", mixed with JSON ones', async () => {
    const response = await infer({
      inputs: [input],
      parameters: { combine: 'vote' },
      outputs: [
        { name: 'combined', parameters: { binary_data: true } },
        { name: 'members' },
        { name: 'disagreement', parameters: { binary_data: true } },
      ],
    });
    expect(response.statusCode).toBe(200);
    const { header, rest } = readBinaryAnswer(response);
    const [combined, members, disagreement] = header.outputs;
    expect(combined).toMatchObject({ name: 'combined', parameters: { binary_data_size: 2 * 8 } });
    expect(members?.data).toHaveLength(MEMBERS * 2 * CLASSES);
    expect(disagreement).toMatchObject({ name: 'disagreement', parameters: { binary_data_size: 2 * 4 } });
    expect(rest.length).toBe(16 + 8);
    // INT64 class indices, little-endian, then FP32 shares of members.
    expect([rest.readBigInt64LE(0), rest.readBigInt64LE(8)].every((c) => c === 0n || c === 1n)).toBe(true);
    for (const i of [0, 1]) expect([0, 0.5, 1]).toContain(rest.readFloatLE(16 + i * 4));
  });

  it('answers every output as binary with "binary_data_output", unless "binary_data" on an output overrides it', async () => {
    const response = await infer({
      inputs: [input],
      parameters: { binary_data_output: true, uncertainty: true },
      outputs: [{ name: 'members', parameters: { binary_data: false } }, { name: 'predictiveEntropy' }],
    });
    const { header, rest } = readBinaryAnswer(response);
    expect(header.outputs[0]?.data).toBeDefined();
    expect(header.outputs[1]).toMatchObject({ name: 'predictiveEntropy', parameters: { binary_data_size: 8 } });
    expect(rest.length).toBe(8);
    const all = readBinaryAnswer(await infer({ inputs: [input], parameters: { binary_data_output: true } }));
    expect(all.header.outputs.map((o) => o.parameters?.binary_data_size)).toEqual([MEMBERS * 2 * CLASSES * 4]);
  });

  it('reads FP64, FP16 and INT32 binary inputs, "little-endian byte order, row major"', async () => {
    const fp32 = (await infer({ inputs: [input] })).json().outputs[0].data;
    const fp64 = binaryRequest({ inputs: [binaryInput('FP64', 48)] }, littleEndian(rows.flat(), 8));
    const response = await app.inject({ method: 'POST', url: '/v2/models/tiny/infer', ...fp64 });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json().outputs[0].data).toEqual(fp32);
    const halves = Buffer.alloc(12);
    // 1, -2, 0.5, 3, 0.25, -0.75 as IEEE 754 half precision.
    for (const [i, bits] of [0x3c00, 0xc000, 0x3800, 0x4200, 0x3400, 0xba00].entries()) halves.writeUInt16LE(bits, i * 2);
    const fp16 = binaryRequest({ inputs: [binaryInput('FP16', 12)] }, halves);
    const viaFp32 = (await infer({ inputs: [{ ...input, data: [1, -2, 0.5, 3, 0.25, -0.75] }] })).json().outputs[0].data;
    expect((await app.inject({ method: 'POST', url: '/v2/models/tiny/infer', ...fp16 })).json().outputs[0].data).toEqual(viaFp32);
    const ints = [1, -2, 3, 4, 0, -6];
    const int32 = binaryRequest({ inputs: [binaryInput('INT32', 24)] }, littleEndian(ints, 4, false));
    const viaJson = (await infer({ inputs: [{ ...input, data: ints }] })).json().outputs[0].data;
    expect((await app.inject({ method: 'POST', url: '/v2/models/tiny/infer', ...int32 })).json().outputs[0].data).toEqual(viaJson);
  });

  it('takes the binary form without a content type, as some clients send it', async () => {
    const { payload, headers } = binaryRequest({ inputs: [binaryInput('FP32', 24)] }, littleEndian(rows.flat(), 4));
    const response = await app.inject({
      method: 'POST',
      url: `/v2/models/tiny/versions/${version}/infer`,
      payload,
      headers: { 'inference-header-content-length': headers['inference-header-content-length'] as string },
    });
    expect(response.statusCode, response.body).toBe(200);
  });

  it.each<[string, () => { payload: Buffer; headers: Record<string, string> }, string[]]>([
    [
      'a binary_data_size that does not fit the shape',
      () => binaryRequest({ inputs: [binaryInput('FP32', 20)] }, littleEndian(rows.flat(), 4).subarray(0, 20)),
      ['input "input"', '24'],
    ],
    [
      'fewer bytes than binary_data_size',
      () => binaryRequest({ inputs: [binaryInput('FP32', 24)] }, littleEndian(rows.flat(), 4).subarray(0, 12)),
      ['input "input"', '12'],
    ],
    [
      'bytes that no input claims',
      () => binaryRequest({ inputs: [binaryInput('FP32', 24)] }, littleEndian([...rows.flat(), 7], 4)),
      ['4 bytes'],
    ],
    [
      'binary_data_size and data both',
      () => binaryRequest({ inputs: [{ ...input, parameters: { binary_data_size: 24 } }] }, littleEndian(rows.flat(), 4)),
      ['input "input"'],
    ],
    [
      'a header length beyond the body',
      () => {
        const request = binaryRequest({ inputs: [binaryInput('FP32', 24)] }, littleEndian(rows.flat(), 4));
        return { ...request, headers: { ...request.headers, 'inference-header-content-length': '100000' } };
      },
      ['Inference-Header-Content-Length'],
    ],
    [
      'binary_data_size without Inference-Header-Content-Length',
      () => ({
        payload: Buffer.from(JSON.stringify({ inputs: [binaryInput('FP32', 24)] })),
        headers: { 'content-type': 'application/json' },
      }),
      ['Inference-Header-Content-Length'],
    ],
    ['BOOL as binary', () => binaryRequest({ inputs: [binaryInput('BOOL', 6)] }, Buffer.alloc(6)), ['input "input"', 'BOOL']],
  ])('refuses %s with { "error" }', async (_what, build, mentions) => {
    expectErrorObject(await app.inject({ method: 'POST', url: '/v2/models/tiny/infer', ...build() }), 400, mentions);
  });
});

describe("the API's other routes keep their own body parsers and errors", () => {
  it('still takes a safetensors body on the REST prediction route, and answers its errors in its own form', async () => {
    const file = Buffer.from(writeSafetensors([float32Tensor('input', [2, FEATURES], Float32Array.from(rows.flat()))]));
    const binary = await app.inject({
      method: 'POST',
      url: '/v1/ensembles/tiny/predictions',
      headers: { 'content-type': 'application/octet-stream', prefer: 'wait=20' },
      payload: file,
    });
    expect(binary.statusCode, binary.body).toBe(200);
    const refused = await app.inject({
      method: 'POST',
      url: '/v1/ensembles/nope/predictions',
      payload: { input: { shape: [1, 3], data: [1, 2, 3] } },
    });
    expect(refused.statusCode).toBe(404);
    expect(refused.json().error.code).toBe('ENSEMBLE_NOT_FOUND');
  });
});
