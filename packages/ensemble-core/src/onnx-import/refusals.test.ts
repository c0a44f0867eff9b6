/**
 * What the importer refuses, each with one line naming the file (and the
 * node): members of other architectures, cut or corrupt files, unsupported
 * ops and attributes (the exported fixtures in `fixtures/onnx/refused/`),
 * and, on small models written here, external data, several inputs, and
 * inputs without a symbolic batch axis.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { importOnnxMembers } from './import-onnx.js';
import { OnnxImportError } from './onnx-import-error.js';
import { encodeTestModel, type TestModel } from './onnx-test-model.js';
import { DataType } from './static-tensor.js';

const fixture = (path: string, name = path.split('/').pop() as string) => ({
  name,
  bytes: readFileSync(new URL(`../../fixtures/onnx/${path}`, import.meta.url)),
});

function refusal(files: { name: string; bytes: Uint8Array }[]): OnnxImportError {
  try {
    importOnnxMembers(files, { name: 'refused' });
  } catch (error) {
    expect(error).toBeInstanceOf(OnnxImportError);
    expect((error as Error).message).not.toContain('\n');
    return error as OnnxImportError;
  }
  return expect.fail('the files were imported');
}

/** A linear layer as an exporter writes it: one symbolic-batch input, a Gemm. */
const linearModel = (overrides: Partial<TestModel> = {}): TestModel => ({
  inputs: [{ name: 'x', dims: ['batch', 2] }],
  outputs: [{ name: 'y', dims: ['batch', 3] }],
  initializers: [
    { name: 'fc.weight', dims: [3, 2], values: [1, 2, 3, 4, 5, 6] },
    { name: 'fc.bias', dims: [3], values: [0.1, 0.2, 0.3] },
  ],
  nodes: [{ op: 'Gemm', inputs: ['x', 'fc.weight', 'fc.bias'], outputs: ['y'], name: '/fc/Gemm', attributes: { transB: 1 } }],
  ...overrides,
});

describe('refusals', () => {
  it('a member of another architecture, naming the file and the first node that differs', () => {
    const error = refusal([
      fixture('resmlp/member0.dynamo.onnx'),
      fixture('resmlp/member1.dynamo.onnx'),
      fixture('refused/other-architecture.onnx'),
    ]);
    expect(error.code).toBe('MEMBERS_MISMATCH');
    expect(error.message).toBe(
      'other-architecture.onnx differs from member0.dynamo.onnx at node 2 (node_linear_1): input 1 (blocks.0.1.weight) is float32 [64, 32] there, float32 [48, 32] here',
    );
  });

  it('members differing in an attribute, naming it with both values', () => {
    const grouped = (group: number): TestModel => ({
      inputs: [{ name: 'x', dims: ['batch', 2, 4, 4] }],
      outputs: [{ name: 'y', dims: ['batch', 2, 4, 4] }],
      initializers: [{ name: 'conv.weight', dims: [2, 2 / group, 1, 1], values: group === 1 ? [1, 2, 3, 4] : [1, 2] }],
      nodes: [
        {
          op: 'Conv',
          inputs: ['x', 'conv.weight'],
          outputs: ['y'],
          name: '/layer1/conv2/Conv',
          attributes: { group, kernel_shape: [1, 1] },
        },
      ],
    });
    const error = refusal([
      { name: 'member0.onnx', bytes: encodeTestModel(grouped(1)) },
      { name: 'member1.onnx', bytes: encodeTestModel(grouped(1)) },
      { name: 'member2.onnx', bytes: encodeTestModel(grouped(2)) },
    ]);
    expect(error.message).toBe('member2.onnx differs from member0.onnx at node 0 (/layer1/conv2/Conv): attribute group is 1 there, 2 here');
  });

  it.each([10, 100, 0.5, -1])('a file cut short (to %s bytes)', (cut) => {
    const { bytes } = fixture('resnet/member0.torchscript.onnx');
    const end = cut === -1 ? bytes.length - 1 : cut < 1 ? Math.floor(bytes.length * cut) : cut;
    const error = refusal([
      fixture('resnet/member1.torchscript.onnx', 'member0.onnx'),
      { name: 'member3.onnx', bytes: bytes.subarray(0, end) },
    ]);
    expect(error.message).toMatch(/^member3\.onnx is not a readable ONNX model: /);
  });

  it('a file that is not ONNX at all', () => {
    const error = refusal([fixture('resnet/expected.safetensors', 'member0.onnx')]);
    expect(error.message).toMatch(/^member0\.onnx is not a readable ONNX model: /);
  });

  it('an unsupported op, naming the node', () => {
    expect(refusal([fixture('refused/unsupported-op.onnx')]).message).toBe(
      'unsupported-op.onnx: node node_cumsum (CumSum): op CumSum is not supported',
    );
  });

  it('an unsupported attribute, naming it and its value', () => {
    expect(refusal([fixture('refused/unsupported-attribute.onnx')]).message).toBe(
      'unsupported-attribute.onnx: node node_max_pool2d (MaxPool): attribute ceil_mode=1 is not supported',
    );
  });

  it('weights in an external data file, saying how to export them inline', () => {
    const model = linearModel({ initializers: [{ name: 'fc.weight', dims: [3, 2], values: [], external: 'member0.onnx.data' }] });
    expect(refusal([{ name: 'member0.onnx', bytes: encodeTestModel(model) }]).message).toBe(
      'member0.onnx keeps initializer fc.weight in an external data file (member0.onnx.data); export with external_data=False so that the weights are inside the .onnx file',
    );
  });

  it('more than one input', () => {
    const model = linearModel({
      inputs: [
        { name: 'x', dims: ['batch', 2] },
        { name: 'mask', dims: ['batch', 2] },
      ],
    });
    expect(refusal([{ name: 'member0.onnx', bytes: encodeTestModel(model) }]).message).toBe(
      'member0.onnx has 2 inputs (x, mask); a member must take one input',
    );
  });

  it('more than one output', () => {
    const model = linearModel({
      outputs: [
        { name: 'y', dims: ['batch', 3] },
        { name: 'x', dims: ['batch', 2] },
      ],
    });
    expect(refusal([{ name: 'member0.onnx', bytes: encodeTestModel(model) }]).message).toMatch(/^member0\.onnx has 2 outputs \(y, x\)/);
  });

  it('an input whose batch axis is fixed', () => {
    const model = linearModel({ inputs: [{ name: 'x', dims: [4, 2] }] });
    expect(refusal([{ name: 'member0.onnx', bytes: encodeTestModel(model) }]).message).toMatch(
      /^member0\.onnx: its input x \(float32 \[4, 2\]\) has a fixed batch size; export with a symbolic batch axis/,
    );
  });

  it('an input with another symbolic axis', () => {
    const model = linearModel({ inputs: [{ name: 'x', dims: ['batch', 'features'] }] });
    expect(refusal([{ name: 'member0.onnx', bytes: encodeTestModel(model) }]).message).toBe(
      'member0.onnx: its input x (float32 [batch, features]) may only have its first axis symbolic (the batch), but axis 1 is features',
    );
  });

  it('an input of another element type', () => {
    const model = linearModel({ inputs: [{ name: 'x', dims: ['batch', 2], dataType: DataType.INT32 }] });
    expect(refusal([{ name: 'member0.onnx', bytes: encodeTestModel(model) }]).message).toBe(
      'member0.onnx: its input x (int32 [batch, 2]) must be float32, or int64 token ids',
    );
  });

  it('a reshape that would depend on the batch size in another way than a multiple of it', () => {
    const model: TestModel = {
      inputs: [{ name: 'x', dims: ['batch', 6] }],
      outputs: [{ name: 'y', dims: ['batch', 6] }],
      initializers: [{ name: 'one', dims: [1], values: [1], int64: true }],
      nodes: [
        { op: 'Shape', inputs: ['x'], outputs: ['s'] },
        { op: 'Add', inputs: ['s', 'one'], outputs: ['t'], name: '/Add' },
        { op: 'Reshape', inputs: ['x', 't'], outputs: ['y'] },
      ],
    };
    expect(refusal([{ name: 'member0.onnx', bytes: encodeTestModel(model) }]).message).toBe(
      'member0.onnx: node /Add (Add): batch + 1 is not a multiple of the batch size',
    );
  });
});
