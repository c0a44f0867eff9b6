/**
 * `globalavgpool2d` (PyTorch `nn.AdaptiveAvgPool2d(1)`) in every layout: the
 * shape rule, the ONNX form, and every engine against the float64 reference.
 */
import { describe, expect, it } from 'vitest';
import { buildEnsembleGraph } from '../engines/onnx/build-ensemble-graph.js';
import { randomMembers, stackFloat32Members } from '../examples/random-members.js';
import { parseManifest } from '../manifest/parse-manifest.js';
import { describeModelsOnEveryEngine, layerProblems, type TestModel } from '../testing/check-engines.js';

const models: Record<string, TestModel> = {
  'on the input (shared or member inputs)': {
    name: 'gap-input',
    input: { shape: [3, 5, 4] },
    layers: [{ op: 'globalavgpool2d' }, { op: 'flatten' }, { op: 'linear', name: 'fc', in: 3, out: 2 }],
  },
  'after a convolution (grouped layout)': {
    name: 'gap-grouped',
    input: { shape: [2, 6, 5] },
    layers: [
      { op: 'conv2d', name: 'conv', in: 2, out: 4, kernel: 3, padding: 1 },
      { op: 'relu' },
      { op: 'globalavgpool2d' },
      { op: 'flatten' },
      { op: 'linear', name: 'fc', in: 4, out: 3 },
    ],
  },
  'after a linear layer (members layout)': {
    name: 'gap-members',
    input: { shape: [3, 5, 4] },
    layers: [{ op: 'linear', name: 'row', in: 4, out: 6 }, { op: 'globalavgpool2d' }],
  },
};

describe('globalavgpool2d shape rule', () => {
  it('pools [C, H, W] to [C, 1, 1]', () => {
    const architecture = parseManifest({ name: 'g', members: 1, input: { shape: [7, 5, 3] }, layers: [{ op: 'globalavgpool2d' }] });
    expect(architecture.outputShape).toEqual([7, 1, 1]);
  });

  it('refuses other inputs and fields', () => {
    expect(layerProblems([4, 5], [{ op: 'globalavgpool2d' }])).toEqual([
      { path: 'layers[0]', message: 'globalavgpool2d expects a [C, H, W] input but receives [4, 5]' },
    ]);
    expect(layerProblems([4, 5, 5], [{ op: 'globalavgpool2d', outputSize: 2 }]).map((i) => i.path)).toEqual(['layers[0]']);
  });
});

describe('globalavgpool2d in the vectorized ONNX graph', () => {
  it('is one GlobalAveragePool on member-stacked channels', () => {
    const architecture = parseManifest({ ...models['after a convolution (grouped layout)'], members: 3 });
    const graph = buildEnsembleGraph(stackFloat32Members(architecture, randomMembers(architecture, 1)), 'per-member');
    const conv = graph.nodes.findIndex((node) => node.opType === 'Conv');
    expect(graph.nodes.slice(conv + 1, conv + 3).map((node) => node.opType)).toEqual(['Relu', 'GlobalAveragePool']);
  });
});

describeModelsOnEveryEngine(models, { members: [1, 3] });
