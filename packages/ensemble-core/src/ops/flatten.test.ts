/**
 * `flatten` with `startDim` and `endDim` (PyTorch's `nn.Flatten(start_dim,
 * end_dim)`, batch axis counted): the shape rule, the grouped layout kept
 * when only spatial axes merge, and every engine against the float64 reference.
 */
import { describe, expect, it } from 'vitest';
import { buildEnsembleGraph } from '../engines/onnx/build-ensemble-graph.js';
import { randomMembers, stackFloat32Members } from '../examples/random-members.js';
import { parseManifest } from '../manifest/parse-manifest.js';
import { describeModelsOnEveryEngine, layerProblems, type TestModel } from '../testing/check-engines.js';

const models: Record<string, TestModel> = {
  'partial flattens': {
    name: 'flatten-partial',
    input: { shape: [2, 3, 4, 5] },
    layers: [
      { op: 'flatten', startDim: 1, endDim: 2 }, // [6, 4, 5]
      { op: 'linear', name: 'fc1', in: 5, out: 3 },
      { op: 'flatten', startDim: -2 }, // [6, 12]
      { op: 'flatten', startDim: 2, endDim: -1 }, // unchanged
      { op: 'linear', name: 'fc2', in: 12, out: 4 },
      { op: 'flatten' }, // [24]
    ],
  },
  'spatial flatten after a convolution (grouped layout)': {
    name: 'flatten-grouped',
    input: { shape: [2, 5, 6] },
    layers: [
      { op: 'conv2d', name: 'conv', in: 2, out: 3, kernel: 2 },
      { op: 'flatten', startDim: 2 }, // [3, 20]
      { op: 'batchnorm', name: 'bn', features: 3 },
      { op: 'linear', name: 'fc', in: 20, out: 4 },
      { op: 'flatten', startDim: 1, endDim: 1 }, // unchanged
    ],
  },
  'flatten of a shared input up to an inner axis': {
    name: 'flatten-shared',
    input: { shape: [2, 3, 4] },
    layers: [{ op: 'flatten', endDim: -2 }],
  },
};

describe('flatten shape rule', () => {
  it('defaults to nn.Flatten(): every axis after the batch axis', () => {
    const architecture = parseManifest({ name: 'f', members: 1, input: { shape: [2, 3, 4] }, layers: [{ op: 'flatten' }] });
    expect(architecture.layers[0]?.layer).toEqual({ op: 'flatten', startDim: 1, endDim: -1 });
    expect(architecture.outputShape).toEqual([24]);
  });

  it('counts dims with the batch axis, negative from the end', () => {
    const output = (startDim: number, endDim: number) =>
      parseManifest({ name: 'f', members: 1, input: { shape: [2, 3, 4, 5] }, layers: [{ op: 'flatten', startDim, endDim }] }).outputShape;
    expect(output(2, -1)).toEqual([2, 60]);
    expect(output(1, 2)).toEqual([6, 4, 5]);
    expect(output(-3, -2)).toEqual([2, 12, 5]);
    expect(output(4, 4)).toEqual([2, 3, 4, 5]);
  });

  it('refuses the batch axis, dims out of range, and an end before the start', () => {
    expect(layerProblems([2, 3], [{ op: 'flatten', startDim: 0 }])).toEqual([
      { path: 'layers[0]', message: 'flatten startDim 0 is the batch axis of a [*, 2, 3] input; flatten keeps each sample apart' },
    ]);
    expect(layerProblems([2, 3], [{ op: 'flatten', startDim: 1, endDim: -3 }]).map((i) => i.message)).toEqual([
      'flatten endDim -3 is the batch axis of a [*, 2, 3] input; flatten keeps each sample apart',
    ]);
    expect(layerProblems([2, 3], [{ op: 'flatten', startDim: 3 }]).map((i) => i.message)).toEqual([
      'flatten startDim 3 is out of range for a [*, 2, 3] input (dims -3 to 2)',
    ]);
    expect(layerProblems([2, 3, 4], [{ op: 'flatten', startDim: 2, endDim: 1 }]).map((i) => i.message)).toEqual([
      'flatten endDim 1 comes before startDim 2 in a [*, 2, 3, 4] input',
    ]);
    expect(layerProblems([2, 3], [{ op: 'flatten', startDim: 1.5 }]).map((i) => i.path)).toEqual(['layers[0].startDim']);
  });
});

describe('flatten in the vectorized ONNX graph', () => {
  it('keeps member-stacked channels where only spatial axes merge', () => {
    const architecture = parseManifest({ ...models['spatial flatten after a convolution (grouped layout)'], members: 3 });
    const graph = buildEnsembleGraph(stackFloat32Members(architecture, randomMembers(architecture, 1)), 'per-member');
    const conv = graph.nodes.find((node) => node.opType === 'Conv')?.outputs[0];
    const reshape = graph.nodes.find((node) => node.opType === 'Reshape' && node.inputs[0] === conv);
    const target = graph.initializers.find((initializer) => initializer.name === reshape?.inputs[1]);
    expect([...(target?.data ?? [])].map(Number)).toEqual([0, 0, 20]);
  });
});

describeModelsOnEveryEngine(models, { members: [1, 3] });
