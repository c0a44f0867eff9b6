/**
 * The importer's rules on small models written here: folding with a
 * symbolic batch (reshape targets written with -1 at the batch), static
 * values as stacked parameters or shared constants, layer naming, Gemm as
 * `linear` or `gemm`, and the content sniff that tells ONNX from
 * safetensors.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { referenceForward } from '../engines/reference/reference-forward.js';
import { parseManifest } from '../manifest/parse-manifest.js';
import { float32Tensor, writeSafetensors } from '../safetensors/write-safetensors.js';
import { importOnnxMembers } from './import-onnx.js';
import { encodeTestModel, type TestModel } from './onnx-test-model.js';
import { isOnnxModel } from './sniff.js';

const members = (...models: TestModel[]) => models.map((model, m) => ({ name: `member${m}.onnx`, bytes: encodeTestModel(model) }));
const layersOf = (result: ReturnType<typeof importOnnxMembers>) =>
  result.manifest.layers.map((layer) => {
    const { inputs: _inputs, ...rest } = layer as Record<string, unknown>;
    return rest;
  });

describe('folding with a symbolic batch', () => {
  // x [B, 4, 6] -> [2B, 2, 6] -> [B, 24], both targets computed from Shape(x) as the TorchScript exporter does.
  const model: TestModel = {
    inputs: [{ name: 'x', dims: ['batch', 4, 6] }],
    outputs: [{ name: 'y', dims: ['batch', 24] }],
    initializers: [
      { name: 'zero', dims: [], values: [0], int64: true },
      { name: 'two', dims: [], values: [2], int64: true },
      { name: 'axes', dims: [1], values: [0], int64: true },
      { name: 'tail', dims: [2], values: [2, 6], int64: true },
      { name: 'rest', dims: [1], values: [-1], int64: true },
    ],
    nodes: [
      { op: 'Shape', inputs: ['x'], outputs: ['shape'] },
      { op: 'Gather', inputs: ['shape', 'zero'], outputs: ['batch'], attributes: { axis: 0 } },
      { op: 'Mul', inputs: ['batch', 'two'], outputs: ['rows'] },
      { op: 'Unsqueeze', inputs: ['rows', 'axes'], outputs: ['rows1'] },
      { op: 'Concat', inputs: ['rows1', 'tail'], outputs: ['target'], attributes: { axis: 0 } },
      { op: 'Reshape', inputs: ['x', 'target'], outputs: ['split'], name: '/split/Reshape' },
      { op: 'Unsqueeze', inputs: ['batch', 'axes'], outputs: ['batch1'] },
      { op: 'Concat', inputs: ['batch1', 'rest'], outputs: ['target2'], attributes: { axis: 0 } },
      { op: 'Reshape', inputs: ['split', 'target2'], outputs: ['y'], name: '/merge/Reshape' },
      { op: 'CumSum', inputs: ['x', 'zero'], outputs: ['unused'], name: '/dead/CumSum' },
    ],
  };

  it('writes reshape targets with explicit sizes and -1 at the batch, skipping nodes the output does not need', () => {
    const result = importOnnxMembers(members(model, model), { name: 'reshapes' });
    expect(layersOf(result)).toEqual([
      { op: 'reshape', name: 'split', shape: [-1, 2, 6] },
      { op: 'reshape', name: 'y', shape: [-1, 24] },
    ]);
    expect(result.manifest.output).toBe('y');
    const architecture = parseManifest(result.manifest);
    expect(architecture.outputShape).toEqual([24]);
    const input = { shape: [3, 4, 6], data: Float32Array.from({ length: 72 }, (_, i) => i) };
    const output = referenceForward({ architecture, parameters: result.parameters }, input, 'shared');
    expect(output.shape).toEqual([2, 3, 24]);
    expect(Array.from(output.data.subarray(72))).toEqual(Array.from(input.data));
  });
});

describe('static values', () => {
  const scaled = (scale: readonly number[], size = scale.length): TestModel => ({
    inputs: [{ name: 'x', dims: ['batch', size] }],
    outputs: [{ name: 'y', dims: ['batch', size] }],
    initializers: [{ name: 'onnx::Mul_7', dims: [size], values: scale }],
    nodes: [{ op: 'Mul', inputs: ['x', 'onnx::Mul_7'], outputs: ['y'] }],
  });

  it('a small value all members share becomes a constant', () => {
    const result = importOnnxMembers(members(scaled([2, 3]), scaled([2, 3])), { name: 'scale' });
    expect(layersOf(result)[0]).toEqual({ op: 'constant', name: 'onnx__Mul_7', shape: [2], value: [2, 3], dtype: 'float32' });
    expect(result.parameters.size).toBe(0);
  });

  it('a value that differs between members is stacked as a parameter under its sanitized name', () => {
    const result = importOnnxMembers(members(scaled([2, 3]), scaled([4, 5])), { name: 'scale' });
    expect(layersOf(result)[0]).toEqual({ op: 'parameter', name: 'onnx__Mul_7', shape: [2] });
    expect(Array.from(result.parameters.get('onnx__Mul_7') ?? [])).toEqual([2, 3, 4, 5]);
  });

  it("a Constant node's value may differ between members too", () => {
    const constant = (value: number): TestModel => ({
      inputs: [{ name: 'x', dims: ['batch', 1] }],
      outputs: [{ name: 'y', dims: ['batch', 1] }],
      nodes: [
        { op: 'Constant', inputs: [], outputs: ['c'], attributes: { value: { name: '', dims: [1], values: [value] } } },
        { op: 'Add', inputs: ['x', 'c'], outputs: ['y'] },
      ],
    });
    const result = importOnnxMembers(members(constant(1), constant(2), constant(3)), { name: 'offset' });
    expect(layersOf(result)[0]).toEqual({ op: 'parameter', name: 'c', shape: [1] });
    expect(Array.from(result.parameters.get('c') ?? [])).toEqual([1, 2, 3]);
  });

  it('a shared value larger than 64 elements is stacked too', () => {
    const big = Array.from({ length: 65 }, (_, i) => i);
    const result = importOnnxMembers(members(scaled(big), scaled(big)), { name: 'scale' });
    expect(layersOf(result)[0]).toMatchObject({ op: 'parameter', shape: [65] });
  });
});

describe('layers with parameters', () => {
  const convs = (weightName: string, nodeName: string, fc = [1, 0, 0, 1]): TestModel => ({
    inputs: [{ name: 'x', dims: ['batch', 1, 3, 3] }],
    outputs: [{ name: 'y', dims: ['batch', 2] }],
    initializers: [
      { name: weightName, dims: [2, 1, 3, 3], values: Array.from({ length: 18 }, (_, i) => i / 10) },
      { name: 'fc.weight', dims: [2, 2], values: fc },
      { name: 'norm.weight', dims: [2], values: [1, 1] },
    ],
    nodes: [
      {
        op: 'Conv',
        inputs: ['x', weightName],
        outputs: ['c'],
        name: nodeName,
        attributes: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 2] },
      },
      { op: 'GlobalAveragePool', inputs: ['c'], outputs: ['p'] },
      { op: 'Flatten', inputs: ['p'], outputs: ['f'], attributes: { axis: 1 } },
      { op: 'Gemm', inputs: ['f', 'fc.weight'], outputs: ['g'], name: '/fc/Gemm', attributes: { transB: 0 } },
      {
        op: 'LayerNormalization',
        inputs: ['g', 'norm.weight'],
        outputs: ['y'],
        name: '/norm/LayerNormalization',
        attributes: { axis: -1, epsilon: { float: 1e-5 } },
      },
    ],
  });

  it('are named after their weight, else their node; a Gemm that is not nn.Linear stays a gemm', () => {
    const dynamo = importOnnxMembers(
      members(convs('features.0.weight', 'node_Conv_3'), convs('features.0.weight', 'node_Conv_3', [0, 1, 1, 0])),
      {
        name: 'convs',
      },
    );
    const torchscript = importOnnxMembers(members(convs('onnx::Conv_12', '/features/features.0/Conv')), { name: 'convs' });
    expect(layersOf(dynamo).map((layer) => [layer.op, layer.name])).toEqual([
      ['conv2d', 'features.0'],
      ['globalavgpool2d', 'p'],
      ['flatten', 'f'],
      ['parameter', 'fc.weight'],
      ['gemm', 'g'],
      ['layernorm', 'norm'],
    ]);
    expect(layersOf(torchscript)[0]).toEqual({
      op: 'conv2d',
      name: 'features.features.0',
      in: 1,
      out: 2,
      kernel: 3,
      stride: 2,
      padding: 1,
      dilation: 1,
      groups: 1,
      bias: false,
    });
    expect(layersOf(dynamo)[4]).toEqual({ op: 'gemm', name: 'g', alpha: 1, beta: 1, transA: false, transB: false });
    // Float attributes as the decimals PyTorch had (1e-5, not float32's 9.999999747378752e-6).
    expect(layersOf(dynamo)[5]).toEqual({ op: 'layernorm', name: 'norm', features: 2, eps: 1e-5 });
    // LayerNormalization without a bias: zeros, stacked.
    expect(Array.from(dynamo.parameters.get('norm.bias') ?? [])).toEqual([0, 0, 0, 0]);
    expect([...dynamo.parameters.keys()]).toEqual(['features.0.weight', 'fc.weight', 'norm.weight', 'norm.bias']);
    expect(Array.from(dynamo.parameters.get('fc.weight') ?? [])).toEqual([1, 0, 0, 1, 0, 1, 1, 0]);
    expect(parseManifest(dynamo.manifest).outputShape).toEqual([2]);
  });
});

describe('isOnnxModel', () => {
  const fixture = (path: string) => readFileSync(new URL(`../../fixtures/onnx/${path}`, import.meta.url));

  it('recognizes exported ONNX files by their first bytes', () => {
    expect(isOnnxModel(fixture('resnet/member0.dynamo.onnx'))).toBe(true);
    expect(isOnnxModel(fixture('resnet/member0.torchscript.onnx'))).toBe(true);
    expect(isOnnxModel(encodeTestModel({ inputs: [], outputs: [], nodes: [] }))).toBe(true);
  });

  it('tells safetensors files apart, even one whose header length starts with byte 0x08', () => {
    expect(isOnnxModel(fixture('resnet/expected.safetensors'))).toBe(false);
    const file = writeSafetensors([float32Tensor('w', [1], new Float32Array([1]))]);
    const padded = new Uint8Array(file.length);
    padded.set(file);
    padded[0] = 0x08; // a header length of 8 + 256k: the first byte alone looks like ONNX's ir_version tag
    expect(isOnnxModel(padded)).toBe(false);
    expect(isOnnxModel(new Uint8Array([]))).toBe(false);
    expect(isOnnxModel(new TextEncoder().encode('{"name": "not a model"}'))).toBe(false);
  });
});
