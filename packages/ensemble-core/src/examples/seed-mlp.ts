/**
 * The example ensemble embedded in the project: the seed tutorial's ten
 * `SimpleMLP`s (784-128-128-10 on 28x28 images) with deterministic weights.
 */
import type { ManifestInput } from '../manifest/manifest-schema.js';

export const seedMlpManifest = {
  name: 'mnist-mlp',
  members: 10,
  input: { shape: [1, 28, 28], dtype: 'float32' },
  layers: [
    { op: 'flatten' },
    { op: 'linear', name: 'fc1', in: 784, out: 128 },
    { op: 'relu' },
    { op: 'linear', name: 'fc2', in: 128, out: 128 },
    { op: 'relu' },
    { op: 'linear', name: 'fc3', in: 128, out: 10 },
  ],
} as const satisfies ManifestInput;

/** Seeds of the example's weights and input batch. */
export const EXAMPLE_WEIGHT_SEED = 0;
export const EXAMPLE_INPUT_SEED = 1;
/** The seed tutorial's minibatch size. */
export const EXAMPLE_BATCH = 64;
