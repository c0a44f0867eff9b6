import { describe, expect, it } from 'vitest';
import { ManifestError } from '../errors/ensemble-error.js';
import { seedMlpManifest } from '../examples/seed-mlp.js';
import { testModels } from '../testing/test-models.js';
import { parseManifest } from './parse-manifest.js';

function problems(document: unknown): { path: string; message: string }[] {
  try {
    parseManifest(document);
  } catch (error) {
    expect(error).toBeInstanceOf(ManifestError);
    expect((error as ManifestError).code).toBe('MANIFEST_INVALID');
    return [...(error as ManifestError).issues];
  }
  throw new Error('expected the manifest to be refused');
}

describe('parseManifest', () => {
  it('infers shapes, parameters and defaults for the seed MLP', () => {
    const architecture = parseManifest(seedMlpManifest);
    expect(architecture.outputShape).toEqual([10]);
    expect(architecture.layers.map((l) => l.output)).toEqual([[784], [128], [128], [128], [128], [10]]);
    expect([...architecture.parameterShapes]).toEqual([
      ['fc1.weight', [128, 784]],
      ['fc1.bias', [128]],
      ['fc2.weight', [128, 128]],
      ['fc2.bias', [128]],
      ['fc3.weight', [10, 128]],
      ['fc3.bias', [10]],
    ]);
    expect(architecture.manifest.input.dtype).toBe('float32');
    expect(architecture.outputsAreProbabilities).toBe(false);
    expect(architecture.multiplyAddsPerSample).toBe(784 * 128 + 128 * 128 + 128 * 10);
  });

  it('knows the PyTorch parameter layouts of conv2d and batchnorm, and their ignorable buffers', () => {
    const architecture = parseManifest({ ...testModels.cnn, members: 2 });
    expect(architecture.parameterShapes.get('conv1.weight')).toEqual([3, 1, 3, 3]);
    expect(architecture.parameterShapes.get('conv2.bias')).toBeUndefined();
    expect(architecture.parameterShapes.get('bn1.running_var')).toEqual([3]);
    expect(architecture.ignorableBuffers.has('bn1.num_batches_tracked')).toBe(true);
    expect(architecture.layers.map((l) => l.output)).toEqual([
      [3, 8, 8],
      [3, 8, 8],
      [3, 8, 8],
      [3, 4, 4],
      [4, 2, 2],
      [4, 2, 2],
      [4, 1, 1],
      [4],
      [3],
    ]);
  });

  it('treats a final softmax (even before dropout) as probabilities', () => {
    expect(parseManifest({ ...testModels.mlp, members: 1 }).outputsAreProbabilities).toBe(true);
  });

  it('reports every width mismatch, not just the first', () => {
    const issues = problems({
      ...seedMlpManifest,
      layers: [
        { op: 'flatten' },
        { op: 'linear', name: 'fc1', in: 700, out: 128 },
        { op: 'relu' },
        { op: 'linear', name: 'fc2', in: 64, out: 128 },
        { op: 'linear', name: 'fc1', in: 128, out: 10 },
      ],
    });
    expect(issues).toEqual([
      { path: 'layers[1]', message: 'linear expects 700 input features but receives [784]' },
      { path: 'layers[3]', message: 'linear expects 64 input features but receives [128]' },
      { path: 'layers[4].name', message: '"fc1" is already the name of layers[1]' },
    ]);
  });

  it('names bad fields by path', () => {
    const issues = problems({
      name: 'bad name!',
      members: 0,
      input: { shape: [1, -28], dtype: 'float16' },
      layers: [{ op: 'linear', name: 'fc1', in: 784 }, { op: 'transformer' }, { op: 'relu', extra: 1 }],
    });
    const paths = issues.map((issue) => issue.path);
    expect(paths).toEqual(
      expect.arrayContaining(['name', 'members', 'input.shape[1]', 'input.dtype', 'layers[0].out', 'layers[1].op', 'layers[2]']),
    );
  });

  it('refuses conv and pooling windows that do not fit, and non-image inputs', () => {
    const issues = problems({
      name: 'c',
      members: 1,
      input: { shape: [3, 4, 4] },
      layers: [{ op: 'conv2d', name: 'c1', in: 1, out: 2, kernel: 5 }, { op: 'flatten' }, { op: 'maxpool2d', kernel: 2 }],
    });
    expect(issues.map((i) => i.message)).toEqual([
      'conv2d expects 1 input channels but receives [3, 4, 4]',
      'conv2d kernel 5 with padding 0 does not fit the 4x4 input',
      'maxpool2d expects a [C, H, W] input but receives [2]',
    ]);
  });

  it('refuses manifests that imply billions of parameters before anything is allocated', () => {
    const issues = problems({
      name: 'huge',
      members: 1000,
      input: { shape: [100000] },
      layers: [{ op: 'linear', name: 'fc', in: 100000, out: 100000 }],
    });
    expect(issues[0]?.message).toMatch(/would hold 10000100000000 parameters/);
  });

  it('checks batchnorm and layernorm feature counts', () => {
    const issues = problems({
      name: 'n',
      members: 1,
      input: { shape: [4, 6] },
      layers: [
        { op: 'batchnorm', name: 'bn', features: 6 },
        { op: 'layernorm', name: 'ln', features: 4 },
      ],
    });
    expect(issues.map((i) => i.message)).toEqual([
      'batchnorm expects a [6], [6, L] or [6, H, W] input but receives [4, 6]',
      'layernorm normalizes 4 features over the last axis but receives [4, 6]',
    ]);
  });
});

describe('parseManifest on a manifest with schema and shape problems at once', () => {
  it('reports both kinds', () => {
    const issues = problems({
      ...seedMlpManifest,
      members: -1,
      layers: [{ op: 'flatten' }, { op: 'linear', name: 'fc1', in: 700, out: 10 }, { op: 'softmax', axis: 0 }],
    });
    expect(issues.map((issue) => issue.path)).toEqual(['layers[1]', 'layers[2]', 'members']);
    expect(issues[0]?.message).toBe('linear expects 700 input features but receives [784]');
  });
});
