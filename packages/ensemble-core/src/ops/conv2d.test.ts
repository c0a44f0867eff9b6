/**
 * `conv2d` with groups (depthwise included), dilation and non-square windows:
 * its shape rule, and every engine against the float64 reference.
 */
import { describe, expect, it } from 'vitest';
import type { InputMode } from '../engines/engine.js';
import { buildEnsembleGraph } from '../engines/onnx/build-ensemble-graph.js';
import { randomMembers, stackFloat32Members } from '../examples/random-members.js';
import { parseManifest } from '../manifest/parse-manifest.js';
import { describeModelsOnEveryEngine, layerProblems, type TestModel } from '../testing/check-engines.js';

const models: Record<string, TestModel> = {
  grouped: {
    name: 'conv-grouped',
    input: { shape: [4, 7, 6] },
    layers: [
      { op: 'conv2d', name: 'c1', in: 4, out: 6, kernel: [3, 2], stride: [2, 1], padding: [1, 0], groups: 2 },
      { op: 'tanh' },
      { op: 'conv2d', name: 'c2', in: 6, out: 6, kernel: 2, groups: 3, bias: false },
      { op: 'conv2d', name: 'c3', in: 6, out: 2, kernel: [1, 2] },
    ],
  },
  depthwise: {
    name: 'conv-depthwise',
    input: { shape: [3, 6, 7] },
    layers: [
      { op: 'conv2d', name: 'dw1', in: 3, out: 3, kernel: 3, padding: 1, groups: 3 },
      { op: 'relu' },
      // channel multiplier 2, uneven padding
      { op: 'conv2d', name: 'dw2', in: 3, out: 6, kernel: [2, 3], padding: [0, 1], groups: 3, bias: false },
      { op: 'conv2d', name: 'pw', in: 6, out: 4, kernel: 1 },
    ],
  },
  dilated: {
    name: 'conv-dilated',
    input: { shape: [2, 9, 8] },
    layers: [
      { op: 'conv2d', name: 'c1', in: 2, out: 4, kernel: 3, dilation: 2, padding: 2 },
      // strides and dilations above 1 together
      { op: 'conv2d', name: 'c2', in: 4, out: 4, kernel: 2, stride: 2, dilation: [1, 2], groups: 2 },
      { op: 'conv2d', name: 'c3', in: 4, out: 4, kernel: [2, 1], stride: [1, 2], dilation: [2, 1], groups: 4 },
    ],
  },
  // An image stem: fewer input channels than a blocked layout's block, whole blocks out (one convolution per member).
  stem: {
    name: 'conv-stem',
    input: { shape: [3, 6, 5] },
    layers: [
      { op: 'conv2d', name: 'stem', in: 3, out: 16, kernel: 3, stride: [1, 2], padding: 1 },
      { op: 'relu' },
      { op: 'conv2d', name: 'c', in: 16, out: 2, kernel: 2, bias: false },
    ],
  },
  'shared depthwise, strided and dilated': {
    name: 'conv-depthwise-strided',
    input: { shape: [2, 9, 9] },
    layers: [
      { op: 'conv2d', name: 'dw', in: 2, out: 4, kernel: 3, stride: 2, dilation: 2, padding: [1, 2], groups: 2 },
      { op: 'conv2d', name: 'c', in: 4, out: 3, kernel: 2 },
    ],
  },
};

describe('conv2d shape rule', () => {
  it('keeps the defaults of nn.Conv2d: stride 1, padding 0, dilation 1, groups 1', () => {
    const architecture = parseManifest({
      name: 'd',
      members: 1,
      input: { shape: [3, 8, 8] },
      layers: [{ op: 'conv2d', name: 'c', in: 3, out: 4, kernel: 3 }],
    });
    expect(architecture.layers[0]?.layer).toMatchObject({ stride: 1, padding: 0, dilation: 1, groups: 1, bias: true });
    expect(architecture.outputShape).toEqual([4, 6, 6]);
    expect([...architecture.parameterShapes]).toEqual([
      ['c.weight', [4, 3, 3, 3]],
      ['c.bias', [4]],
    ]);
  });

  it('takes weights [out, in/groups, kh, kw] and sizes the output by PyTorch’s rule', () => {
    const architecture = parseManifest({
      name: 'g',
      members: 1,
      input: { shape: [4, 10, 9] },
      layers: [
        { op: 'conv2d', name: 'g', in: 4, out: 6, kernel: [3, 1], stride: [2, 1], padding: [0, 1], dilation: [2, 1], groups: 2 },
        { op: 'conv2d', name: 'dw', in: 6, out: 6, kernel: 3, groups: 6, bias: false },
      ],
    });
    // H: floor((10 - 2*(3-1) - 1) / 2) + 1 = 3; W: (9 + 2 - 1) + 1 = 11
    expect(architecture.layers.map((l) => l.output)).toEqual([
      [6, 3, 11],
      [6, 1, 9],
    ]);
    expect([...architecture.parameterShapes]).toEqual([
      ['g.weight', [6, 2, 3, 1]],
      ['g.bias', [6]],
      ['dw.weight', [6, 1, 3, 3]],
    ]);
    expect(architecture.multiplyAddsPerSample).toBe(6 * 3 * 11 * 2 * 3 + 6 * 9 * 3 * 3);
  });

  it('refuses in or out not divisible by groups, naming the field', () => {
    expect(layerProblems([4, 5, 5], [{ op: 'conv2d', name: 'c', in: 4, out: 6, kernel: 1, groups: 3 }]).map((i) => i.message)).toEqual([
      'conv2d in 4 is not divisible by groups 3',
    ]);
    expect(layerProblems([4, 5, 5], [{ op: 'conv2d', name: 'c', in: 4, out: 6, kernel: 1, groups: 4 }]).map((i) => i.message)).toEqual([
      'conv2d out 6 is not divisible by groups 4',
    ]);
  });

  it('refuses windows that do not fit, with dilation and pairs as written', () => {
    expect(layerProblems([1, 5, 5], [{ op: 'conv2d', name: 'c', in: 1, out: 1, kernel: 3, dilation: 3 }])).toEqual([
      { path: 'layers[0]', message: 'conv2d kernel 3 with padding 0 and dilation 3 does not fit the 5x5 input' },
    ]);
    expect(layerProblems([1, 6, 6], [{ op: 'conv2d', name: 'c', in: 1, out: 1, kernel: [3, 7], padding: [1, 0] }])).toEqual([
      { path: 'layers[0]', message: 'conv2d kernel [3, 7] with padding [1, 0] does not fit the 6x6 input' },
    ]);
  });

  it('refuses malformed pairs and groups by path', () => {
    const issues = layerProblems(
      [2, 5, 5],
      [{ op: 'conv2d', name: 'c', in: 2, out: 2, kernel: [3], stride: [1, 0], dilation: 0, groups: 0, padding: [-1, 1] }],
    );
    expect(issues.map((i) => i.path)).toEqual([
      'layers[0].dilation',
      'layers[0].groups',
      'layers[0].kernel',
      'layers[0].padding[0]',
      'layers[0].stride[1]',
    ]);
    expect(issues.find((i) => i.path === 'layers[0].kernel')?.message).toBe(
      'must be one number for both spatial axes or a [height, width] pair',
    );
  });
});

describe('conv2d in the vectorized ONNX graph', () => {
  const convGroups = (model: TestModel, members: number, mode: InputMode) => {
    const architecture = parseManifest({ ...model, members });
    const graph = buildEnsembleGraph(stackFloat32Members(architecture, randomMembers(architecture, 1)), mode);
    return graph.nodes.filter((node) => node.opType === 'Conv').map((node) => node.attributes?.group?.value);
  };

  it('runs each layer as one convolution with group = N * groups over member-stacked channels', () => {
    // c1 on the member inputs, then c2 (groups 3) and c3 (groups 1) on member-stacked channels
    expect(convGroups(models.grouped as TestModel, 4, 'per-member')).toEqual([8, 12, 4]);
    expect(convGroups(models.depthwise as TestModel, 4, 'per-member')).toEqual([12, 12, 4]);
  });

  it('runs an image stem on member inputs as one convolution per member, then groups as usual', () => {
    expect(convGroups(models.stem as TestModel, 4, 'per-member')).toEqual([1, 1, 1, 1, 4]);
    expect(convGroups(models.stem as TestModel, 4, 'shared')).toEqual([1, 4]);
    expect(convGroups(models.stem as TestModel, 1, 'per-member')).toEqual([1, 1]);
  });

  it('runs a shared input through one convolution with group = groups (N*out output channels)', () => {
    expect(convGroups(models.grouped as TestModel, 4, 'shared')).toEqual([2, 12, 4]);
    expect(convGroups(models.depthwise as TestModel, 4, 'shared')).toEqual([3, 12, 4]);
  });
});

describeModelsOnEveryEngine(models, { members: [1, 3] });
