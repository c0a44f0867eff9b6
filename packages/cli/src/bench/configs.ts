/**
 * The ensembles `ensemble bench` times: the seed tutorial's ten MLPs, the
 * same at the small batches a server sees, a wide MLP ensemble, a small CNN
 * ensemble, and two graphs imported from PyTorch's ONNX exporter (a ResNet
 * and a text transformer). Each is a manifest and the batch sizes to run it at.
 */
import { readFileSync } from 'node:fs';
import { type ManifestInput, seedMlpManifest } from '@ensembles/core';

/**
 * A graph manifest written by `ensemble import` from one member exported by
 * PyTorch (`packages/ensemble-core/fixtures/onnx/make_bench_models.py` makes it),
 * as N members.
 */
function importedModel(file: string, members: number): ManifestInput {
  const manifest = JSON.parse(readFileSync(new URL(`../../bench-models/${file}`, import.meta.url), 'utf8')) as ManifestInput;
  return { ...manifest, members };
}

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
  {
    name: 'resnet',
    description: '8 ResNets for 32x32x3 images (basic blocks, width 16), imported from ONNX, batch 16',
    get manifest() {
      return importedModel('resnet.json', 8);
    },
    batches: [16],
  },
  {
    name: 'transformer',
    description: '8 text transformers (2 pre-norm layers, width 128, 4 heads, sequence 64), imported from ONNX, batch 8',
    get manifest() {
      return importedModel('transformer.json', 8);
    },
    batches: [8],
  },
];

export const benchConfigNames = benchConfigs.map((config) => config.name);
