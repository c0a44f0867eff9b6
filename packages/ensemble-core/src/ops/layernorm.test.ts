/**
 * `layernorm` over one or more trailing axes, with and without its affine
 * terms (`elementwiseAffine`, `bias`): the shape rule, the parameters, and
 * every engine against the float64 reference.
 */
import { describe, expect, it } from 'vitest';
import { parseManifest } from '../manifest/parse-manifest.js';
import { describeModelsOnEveryEngine, layerProblems, type TestModel } from '../testing/check-engines.js';

const models: Record<string, TestModel> = {
  'over the last axis': {
    name: 'ln-last',
    input: { shape: [3, 6] },
    layers: [
      { op: 'layernorm', name: 'ln1', features: 6 },
      { op: 'linear', name: 'fc', in: 6, out: 5 },
      { op: 'layernorm', name: 'ln2', features: 5, elementwiseAffine: false },
      { op: 'layernorm', name: 'ln3', features: 5, bias: false, eps: 1e-3 },
    ],
  },
  'over trailing axes': {
    name: 'ln-trailing',
    input: { shape: [2, 3, 4] },
    layers: [
      { op: 'layernorm', name: 'ln1', features: [3, 4], elementwiseAffine: false },
      { op: 'layernorm', name: 'ln2', features: [2, 3, 4] },
      { op: 'layernorm', name: 'ln3', features: [4], bias: false },
    ],
  },
  'after a convolution (grouped layout)': {
    name: 'ln-grouped',
    input: { shape: [2, 5, 5] },
    layers: [
      { op: 'conv2d', name: 'c1', in: 2, out: 3, kernel: 2 },
      { op: 'layernorm', name: 'ln1', features: [4, 4], elementwiseAffine: false },
      { op: 'conv2d', name: 'c2', in: 3, out: 3, kernel: 1 },
      { op: 'layernorm', name: 'ln2', features: [3, 4, 4], elementwiseAffine: false },
      { op: 'conv2d', name: 'c3', in: 3, out: 2, kernel: 1 },
      { op: 'layernorm', name: 'ln3', features: 4 },
    ],
  },
};

describe('layernorm shape rule', () => {
  it('keeps the defaults of nn.LayerNorm: eps 1e-5, elementwise_affine and bias on', () => {
    const architecture = parseManifest({
      name: 'l',
      members: 1,
      input: { shape: [3, 6] },
      layers: [{ op: 'layernorm', name: 'ln', features: 6 }],
    });
    expect(architecture.layers[0]?.layer).toMatchObject({ eps: 1e-5, elementwiseAffine: true, bias: true });
    expect([...architecture.parameterShapes]).toEqual([
      ['ln.weight', [6]],
      ['ln.bias', [6]],
    ]);
  });

  it('takes parameters of the normalized shape, as the affine flags say', () => {
    const architecture = parseManifest({
      name: 'l',
      members: 1,
      input: { shape: [2, 3, 4] },
      layers: [
        { op: 'layernorm', name: 'a', features: [3, 4] },
        { op: 'layernorm', name: 'b', features: [3, 4], bias: false },
        { op: 'layernorm', name: 'c', features: 4, elementwiseAffine: false },
      ],
    });
    expect([...architecture.parameterShapes]).toEqual([
      ['a.weight', [3, 4]],
      ['a.bias', [3, 4]],
      ['b.weight', [3, 4]],
    ]);
  });

  it('refuses a normalized shape that is not the input’s trailing shape', () => {
    expect(layerProblems([4, 6], [{ op: 'layernorm', name: 'ln', features: 4 }])).toEqual([
      { path: 'layers[0]', message: 'layernorm normalizes 4 features over the last axis but receives [4, 6]' },
    ]);
    expect(layerProblems([4, 6], [{ op: 'layernorm', name: 'ln', features: [6, 4] }]).map((i) => i.message)).toEqual([
      'layernorm normalizes the trailing [6, 4] axes (features) but receives [4, 6]',
    ]);
    expect(layerProblems([6], [{ op: 'layernorm', name: 'ln', features: [1, 6] }]).map((i) => i.message)).toEqual([
      'layernorm normalizes the trailing [1, 6] axes (features) but receives [6]',
    ]);
    expect(layerProblems([6], [{ op: 'layernorm', name: 'ln', features: [], elementwiseAffine: 1 }]).map((i) => i.path)).toEqual([
      'layers[0].elementwiseAffine',
      'layers[0].features',
    ]);
  });
});

describeModelsOnEveryEngine(models, { members: [1, 3] });
