/**
 * `maxpool2d` and `avgpool2d` with padding (-inf for max; zeros counted or
 * not for average) and non-square windows: the shape rule, the ONNX
 * attributes, and every engine against the float64 reference.
 */
import { describe, expect, it } from 'vitest';
import { buildEnsembleGraph } from '../engines/onnx/build-ensemble-graph.js';
import { randomMembers, stackFloat32Members } from '../examples/random-members.js';
import { parseManifest } from '../manifest/parse-manifest.js';
import { describeModelsOnEveryEngine, layerProblems, type TestModel } from '../testing/check-engines.js';

const models: Record<string, TestModel> = {
  'padded max pooling': {
    name: 'maxpool-padded',
    input: { shape: [2, 7, 6] },
    layers: [
      // every value <= -0.5: a zero padding would win every border window
      { op: 'clip', max: -0.5 },
      { op: 'maxpool2d', kernel: 3, stride: 2, padding: 1 },
      { op: 'maxpool2d', kernel: [2, 3], stride: [1, 2], padding: [1, 1] },
    ],
  },
  'padded average pooling': {
    name: 'avgpool-padded',
    input: { shape: [2, 7, 6] },
    layers: [
      { op: 'avgpool2d', kernel: 3, stride: 2, padding: 1 },
      { op: 'avgpool2d', kernel: [3, 2], stride: [1, 2], padding: [1, 0], countIncludePad: false },
    ],
  },
  'pooling after a convolution (grouped layout)': {
    name: 'pool-grouped',
    input: { shape: [1, 8, 7] },
    layers: [
      { op: 'conv2d', name: 'conv', in: 1, out: 3, kernel: 2 },
      { op: 'maxpool2d', kernel: [3, 2], padding: [1, 0] },
      { op: 'conv2d', name: 'conv2', in: 3, out: 2, kernel: 1 },
      { op: 'avgpool2d', kernel: 2, stride: 1, padding: 1, countIncludePad: false },
      { op: 'avgpool2d', kernel: [2, 3], stride: [2, 1], padding: [0, 1] },
    ],
  },
};

describe('pooling shape rule', () => {
  it('keeps the defaults of nn.MaxPool2d and nn.AvgPool2d: stride = kernel, padding 0, count_include_pad true', () => {
    const architecture = parseManifest({
      name: 'd',
      members: 1,
      input: { shape: [3, 9, 8] },
      layers: [
        { op: 'maxpool2d', kernel: 2 },
        { op: 'avgpool2d', kernel: [2, 1] },
      ],
    });
    expect(architecture.layers.map((l) => l.layer)).toEqual([
      { op: 'maxpool2d', kernel: 2, padding: 0 },
      { op: 'avgpool2d', kernel: [2, 1], padding: 0, countIncludePad: true },
    ]);
    expect(architecture.layers.map((l) => l.output)).toEqual([
      [3, 4, 4],
      [3, 2, 4],
    ]);
  });

  it('sizes a padded, non-square window by PyTorch’s rule', () => {
    const architecture = parseManifest({
      name: 's',
      members: 1,
      input: { shape: [3, 9, 8] },
      layers: [{ op: 'avgpool2d', kernel: [3, 2], stride: [2, 3], padding: [1, 1] }],
    });
    // H: floor((9 + 2 - 3) / 2) + 1 = 5; W: floor((8 + 2 - 2) / 3) + 1 = 3
    expect(architecture.outputShape).toEqual([3, 5, 3]);
  });

  it('refuses padding over half the kernel, as PyTorch does', () => {
    expect(layerProblems([1, 8, 8], [{ op: 'maxpool2d', kernel: 3, padding: 2 }])).toEqual([
      { path: 'layers[0]', message: 'maxpool2d padding 2 must be at most half the kernel 3' },
    ]);
    expect(layerProblems([1, 8, 8], [{ op: 'avgpool2d', kernel: [4, 2], padding: [2, 2] }])).toEqual([
      { path: 'layers[0]', message: 'avgpool2d padding [2, 2] must be at most half the kernel [4, 2]' },
    ]);
  });

  it('refuses windows that do not fit, and malformed fields by path', () => {
    expect(layerProblems([1, 4, 4], [{ op: 'maxpool2d', kernel: [5, 2] }]).map((i) => i.message)).toEqual([
      'maxpool2d kernel [5, 2] does not fit the 4x4 input',
    ]);
    expect(layerProblems([1, 2, 2], [{ op: 'avgpool2d', kernel: 5, padding: 1 }]).map((i) => i.message)).toEqual([
      'avgpool2d kernel 5 with padding 1 does not fit the 2x2 input',
    ]);
    const issues = layerProblems([1, 8, 8], [{ op: 'avgpool2d', kernel: 2, stride: [1, 2, 3], countIncludePad: 'yes' }]);
    expect(issues.map((i) => i.path)).toEqual(['layers[0].countIncludePad', 'layers[0].stride']);
    expect(layerProblems([1, 8, 8], [{ op: 'maxpool2d', kernel: 2, countIncludePad: false }]).map((i) => i.path)).toEqual(['layers[0]']);
  });
});

describe('pooling in the vectorized ONNX graph', () => {
  it('writes count_include_pad on every AveragePool (ONNX defaults to 0, PyTorch to True) and pads on both', () => {
    const architecture = parseManifest({ ...models['padded average pooling'], members: 2 });
    const graph = buildEnsembleGraph(stackFloat32Members(architecture, randomMembers(architecture, 1)), 'shared');
    const pools = graph.nodes.filter((node) => node.opType === 'AveragePool').map((node) => node.attributes);
    expect(pools).toEqual([
      {
        kernel_shape: { kind: 'ints', value: [3, 3] },
        strides: { kind: 'ints', value: [2, 2] },
        pads: { kind: 'ints', value: [1, 1, 1, 1] },
        count_include_pad: { kind: 'int', value: 1 },
      },
      {
        kernel_shape: { kind: 'ints', value: [3, 2] },
        strides: { kind: 'ints', value: [1, 2] },
        pads: { kind: 'ints', value: [1, 0, 1, 0] },
        count_include_pad: { kind: 'int', value: 0 },
      },
    ]);
  });
});

describeModelsOnEveryEngine(models, { members: [1, 3] });
