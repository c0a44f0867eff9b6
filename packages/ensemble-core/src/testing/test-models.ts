/**
 * Small manifests that together exercise every op in every layout the
 * vectorized graph uses (shared, members, grouped), for the engine tests.
 */
import type { ManifestInput } from '../manifest/manifest-schema.js';

type TestModel = Omit<ManifestInput, 'members'>;

export const testModels: Record<string, TestModel> = {
  mlp: {
    name: 'mlp',
    input: { shape: [2, 3, 4] },
    layers: [
      { op: 'flatten' },
      { op: 'linear', name: 'fc1', in: 24, out: 16 },
      { op: 'relu' },
      { op: 'linear', name: 'fc2', in: 16, out: 12, bias: false },
      { op: 'tanh' },
      { op: 'linear', name: 'fc3', in: 12, out: 8 },
      { op: 'sigmoid' },
      { op: 'dropout', p: 0.5 },
      { op: 'linear', name: 'head', in: 8, out: 5 },
      { op: 'softmax' },
    ],
  },
  cnn: {
    name: 'cnn',
    input: { shape: [1, 8, 8] },
    layers: [
      { op: 'conv2d', name: 'conv1', in: 1, out: 3, kernel: 3, padding: 1 },
      { op: 'batchnorm', name: 'bn1', features: 3 },
      { op: 'relu' },
      { op: 'maxpool2d', kernel: 2 },
      { op: 'conv2d', name: 'conv2', in: 3, out: 4, kernel: 2, stride: 2, bias: false },
      { op: 'gelu' },
      { op: 'avgpool2d', kernel: 2, stride: 1 },
      { op: 'flatten' },
      { op: 'linear', name: 'fc', in: 4, out: 3 },
    ],
  },
  sequence: {
    name: 'sequence',
    input: { shape: [3, 6] },
    layers: [
      { op: 'batchnorm', name: 'bn', features: 3, eps: 1e-3 },
      { op: 'linear', name: 'proj', in: 6, out: 5 },
      { op: 'layernorm', name: 'ln', features: 5 },
      { op: 'gelu', approximate: 'tanh' },
      { op: 'flatten' },
      { op: 'batchnorm', name: 'bn_flat', features: 15 },
      { op: 'linear', name: 'out', in: 15, out: 4 },
    ],
  },
  'conv-layernorm': {
    name: 'conv-layernorm',
    input: { shape: [2, 6, 6] },
    layers: [
      { op: 'tanh' },
      { op: 'conv2d', name: 'conv', in: 2, out: 3, kernel: 3 },
      { op: 'layernorm', name: 'ln', features: 4, eps: 1e-6 },
      { op: 'maxpool2d', kernel: 2 },
      { op: 'linear', name: 'row', in: 2, out: 3 },
      { op: 'flatten' },
      { op: 'linear', name: 'fc', in: 18, out: 2 },
    ],
  },
  'no-parameters': {
    name: 'no-parameters',
    input: { shape: [2, 4, 4] },
    layers: [{ op: 'avgpool2d', kernel: 2 }, { op: 'relu' }, { op: 'softmax' }],
  },
};
