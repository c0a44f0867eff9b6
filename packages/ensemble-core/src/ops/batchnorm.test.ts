/**
 * `batchnorm` with and without its affine terms (`affine`), over `[C]`,
 * `[C, L]` and `[C, H, W]`: the shape rule, the parameters, and every engine
 * against the float64 reference.
 */
import { describe, expect, it } from 'vitest';
import { parseManifest } from '../manifest/parse-manifest.js';
import { describeModelsOnEveryEngine, layerProblems, type TestModel } from '../testing/check-engines.js';

const models: Record<string, TestModel> = {
  'without affine terms': {
    name: 'bn-plain',
    input: { shape: [3, 5] },
    layers: [
      { op: 'batchnorm', name: 'bn1', features: 3, affine: false },
      { op: 'linear', name: 'fc', in: 5, out: 4 },
      { op: 'batchnorm', name: 'bn2', features: 3, eps: 1e-3 },
      { op: 'flatten' },
      { op: 'batchnorm', name: 'bn3', features: 12, affine: false },
    ],
  },
  'after a convolution (grouped layout)': {
    name: 'bn-grouped',
    input: { shape: [2, 5, 5] },
    layers: [
      { op: 'conv2d', name: 'conv', in: 2, out: 3, kernel: 2 },
      { op: 'batchnorm', name: 'bn1', features: 3, affine: false },
      { op: 'batchnorm', name: 'bn2', features: 3 },
    ],
  },
};

describe('batchnorm shape rule', () => {
  it('keeps the defaults of nn.BatchNorm: eps 1e-5, affine on', () => {
    const architecture = parseManifest({
      name: 'b',
      members: 1,
      input: { shape: [3, 6] },
      layers: [{ op: 'batchnorm', name: 'bn', features: 3 }],
    });
    expect(architecture.layers[0]?.layer).toMatchObject({ eps: 1e-5, affine: true });
    expect([...architecture.parameterShapes.keys()]).toEqual(['bn.weight', 'bn.bias', 'bn.running_mean', 'bn.running_var']);
  });

  it('holds only the running statistics without affine terms', () => {
    const architecture = parseManifest({
      name: 'b',
      members: 1,
      input: { shape: [3, 6] },
      layers: [{ op: 'batchnorm', name: 'bn', features: 3, affine: false }],
    });
    expect([...architecture.parameterShapes]).toEqual([
      ['bn.running_mean', [3]],
      ['bn.running_var', [3]],
    ]);
    expect([...architecture.ignorableBuffers]).toEqual(['bn.num_batches_tracked']);
  });

  it('refuses a channel count that is not the input’s, and a bad flag', () => {
    expect(layerProblems([4, 6], [{ op: 'batchnorm', name: 'bn', features: 6, affine: false }]).map((i) => i.message)).toEqual([
      'batchnorm expects a [6], [6, L] or [6, H, W] input but receives [4, 6]',
    ]);
    expect(layerProblems([4, 6], [{ op: 'batchnorm', name: 'bn', features: 4, affine: 'no' }]).map((i) => i.path)).toEqual([
      'layers[0].affine',
    ]);
  });
});

describeModelsOnEveryEngine(models, { members: [1, 3] });
