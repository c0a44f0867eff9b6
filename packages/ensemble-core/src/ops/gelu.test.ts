/**
 * `gelu` with PyTorch's `approximate: 'none' | 'tanh'`: the field, and every
 * engine against the float64 reference.
 */
import { describe, expect, it } from 'vitest';
import { parseManifest } from '../manifest/parse-manifest.js';
import { describeModelsOnEveryEngine, layerProblems, type TestModel } from '../testing/check-engines.js';

const models: Record<string, TestModel> = {
  'exact and tanh-approximated': {
    name: 'gelu',
    input: { shape: [3, 8] },
    layers: [
      { op: 'gelu' },
      { op: 'linear', name: 'fc', in: 8, out: 8 },
      { op: 'gelu', approximate: 'tanh' },
      { op: 'gelu', approximate: 'none' },
    ],
  },
  'after a convolution (grouped layout)': {
    name: 'gelu-grouped',
    input: { shape: [2, 5, 5] },
    layers: [{ op: 'conv2d', name: 'conv', in: 2, out: 3, kernel: 2 }, { op: 'gelu', approximate: 'tanh' }, { op: 'gelu' }],
  },
};

describe('gelu fields', () => {
  it('defaults to the exact form, approximate: none, as nn.GELU()', () => {
    const architecture = parseManifest({ name: 'g', members: 1, input: { shape: [4] }, layers: [{ op: 'gelu' }] });
    expect(architecture.layers[0]?.layer).toEqual({ op: 'gelu', approximate: 'none' });
  });

  it('refuses other approximations by path', () => {
    expect(layerProblems([4], [{ op: 'gelu', approximate: 'sigmoid' }]).map((i) => i.path)).toEqual(['layers[0].approximate']);
  });
});

describeModelsOnEveryEngine(models, { members: [1, 3] });
