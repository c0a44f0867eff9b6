/**
 * The ensembles `ensemble bench` times: the seed tutorial's ten MLPs, the
 * same at the small batches a server sees, a wide MLP ensemble and a small
 * CNN ensemble. Each is a manifest and the batch sizes to run it at.
 */
import { type ManifestInput, seedMlpManifest } from '@ensembles/core';

export interface BenchConfig {
  readonly name: string;
  readonly description: string;
  readonly manifest: ManifestInput;
  readonly batches: readonly number[];
}

export const benchConfigs: readonly BenchConfig[] = [
  {
    name: 'seed',
    description: 'the seed tutorial: 10 MLPs 784-128-128-10, batch 64',
    manifest: seedMlpManifest,
    batches: [64],
  },
  {
    name: 'small-batch',
    description: 'the seed MLPs at batch 1 and 8',
    manifest: { ...seedMlpManifest, name: 'mnist-mlp-small-batch' },
    batches: [1, 8],
  },
  {
    name: 'wide',
    description: '64 MLPs 784-512-512-10, batch 16',
    manifest: {
      name: 'wide-mlp',
      members: 64,
      input: { shape: [1, 28, 28], dtype: 'float32' },
      layers: [
        { op: 'flatten' },
        { op: 'linear', name: 'fc1', in: 784, out: 512 },
        { op: 'relu' },
        { op: 'linear', name: 'fc2', in: 512, out: 512 },
        { op: 'relu' },
        { op: 'linear', name: 'fc3', in: 512, out: 10 },
      ],
    },
    batches: [16],
  },
  {
    name: 'cnn',
    description: '8 CNNs conv(8)-pool-conv(16)-pool-linear, batch 32',
    manifest: {
      name: 'small-cnn',
      members: 8,
      input: { shape: [1, 28, 28], dtype: 'float32' },
      layers: [
        { op: 'conv2d', name: 'conv1', in: 1, out: 8, kernel: 3, padding: 1 },
        { op: 'relu' },
        { op: 'maxpool2d', kernel: 2 },
        { op: 'conv2d', name: 'conv2', in: 8, out: 16, kernel: 3, padding: 1 },
        { op: 'relu' },
        { op: 'maxpool2d', kernel: 2 },
        { op: 'flatten' },
        { op: 'linear', name: 'fc', in: 784, out: 10 },
      ],
    },
    batches: [32],
  },
];

export const benchConfigNames = benchConfigs.map((config) => config.name);
