/**
 * `softmax` over any axis but the batch axis (`dim`, counted as PyTorch
 * counts it, batch axis included): the shape rule, the ONNX axis in each
 * layout, and every engine against the float64 reference.
 */
import { describe, expect, it } from 'vitest';
import type { InputMode } from '../engines/engine.js';
import { buildEnsembleGraph } from '../engines/onnx/build-ensemble-graph.js';
import { randomMembers, stackFloat32Members } from '../examples/random-members.js';
import { parseManifest } from '../manifest/parse-manifest.js';
import { describeModelsOnEveryEngine, layerProblems, type TestModel } from '../testing/check-engines.js';

const models: Record<string, TestModel> = {
  'softmax over each axis': {
    name: 'softmax-axes',
    input: { shape: [3, 4, 5] },
    layers: [
      { op: 'softmax', dim: 1 },
      { op: 'linear', name: 'mix', in: 5, out: 5 },
      { op: 'softmax', dim: 2 },
      { op: 'linear', name: 'mix2', in: 5, out: 5 },
      { op: 'softmax', dim: -3 },
      { op: 'linear', name: 'mix3', in: 5, out: 5 },
      { op: 'softmax' },
    ],
  },
  'softmax over channels and rows of a convolution (grouped layout)': {
    name: 'softmax-grouped',
    input: { shape: [2, 5, 5] },
    layers: [
      { op: 'conv2d', name: 'c1', in: 2, out: 3, kernel: 2 },
      { op: 'softmax', dim: 1 },
      { op: 'conv2d', name: 'c2', in: 3, out: 3, kernel: 2 },
      { op: 'softmax', dim: -2 },
    ],
  },
  'softmax over the channels of [B, C, L]': {
    name: 'softmax-sequence',
    input: { shape: [4, 6] },
    layers: [{ op: 'softmax', dim: 1 }],
  },
};

describe('softmax shape rule', () => {
  it('defaults to dim -1, as nn.Softmax is used in practice', () => {
    const architecture = parseManifest({ name: 's', members: 1, input: { shape: [4, 6] }, layers: [{ op: 'softmax' }] });
    expect(architecture.layers[0]?.layer).toEqual({ op: 'softmax', dim: -1 });
    expect(architecture.outputShape).toEqual([4, 6]);
  });

  it('refuses the batch axis, and dims out of range', () => {
    expect(layerProblems([4, 6], [{ op: 'softmax', dim: 0 }])).toEqual([
      { path: 'layers[0]', message: 'softmax dim 0 is the batch axis of a [*, 4, 6] input; softmax normalizes each sample on its own' },
    ]);
    expect(layerProblems([4, 6], [{ op: 'softmax', dim: -3 }]).map((i) => i.message)).toEqual([
      'softmax dim -3 is the batch axis of a [*, 4, 6] input; softmax normalizes each sample on its own',
    ]);
    expect(layerProblems([4, 6], [{ op: 'softmax', dim: 3 }]).map((i) => i.message)).toEqual([
      'softmax dim 3 is out of range for a [*, 4, 6] input (dims -3 to 2)',
    ]);
    expect(layerProblems([4, 6], [{ op: 'softmax', dim: 1.5 }]).map((i) => i.path)).toEqual(['layers[0].dim']);
  });
});

describe('softmax in the vectorized ONNX graph', () => {
  const axes = (model: TestModel, mode: InputMode) => {
    const architecture = parseManifest({ ...model, members: 3 });
    const graph = buildEnsembleGraph(stackFloat32Members(architecture, randomMembers(architecture, 1)), mode);
    return graph.nodes.filter((node) => node.opType === 'Softmax').map((node) => node.attributes?.axis?.value);
  };

  it('shifts the axis by one past the member axis', () => {
    const model = models['softmax over each axis'] as TestModel;
    expect(axes(model, 'shared')).toEqual([1, 3, 2, -1]);
    expect(axes(model, 'per-member')).toEqual([2, 3, 2, -1]);
  });

  it('takes grouped channels apart before a softmax over channels, not before one over rows', () => {
    const model = models['softmax over channels and rows of a convolution (grouped layout)'] as TestModel;
    expect(axes(model, 'per-member')).toEqual([2, 2]);
  });
});

describeModelsOnEveryEngine(models, { members: [1, 3] });
