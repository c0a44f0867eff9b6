/**
 * Deterministic member parameters and inputs from a seed, initialized the
 * way PyTorch initializes each layer (uniform in ±1/√fan_in; normalization
 * layers near identity). Used by the example ensemble and by tests.
 */
import type { EnsembleArchitecture } from '../manifest/parse-manifest.js';
import { opDefinition } from '../ops/index.js';
import type { StackedEnsemble } from '../stacking/stacked-ensemble.js';
import type { Tensor } from '../tensor/tensor.js';

/** mulberry32: a small, fast, seedable PRNG returning floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One member's parameters, `name → float32 data`, in the manifest's layer order. */
export type MemberParameters = Map<string, Float32Array>;

export function randomMembers(architecture: EnsembleArchitecture, seed: number): MemberParameters[] {
  const random = seededRandom(seed);
  const uniform = (low: number, high: number) => low + (high - low) * random();
  return Array.from({ length: architecture.manifest.members }, () => {
    const member: MemberParameters = new Map();
    for (const { layer, parameters } of architecture.layers) {
      if (opDefinition(layer.op).kind === 'tensor') {
        // A graph's own parameters (embeddings, per-member constants): small uniform values.
        for (const [name, shape] of Object.entries(parameters)) {
          const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
          for (let i = 0; i < data.length; i++) data[i] = uniform(-0.5, 0.5);
          member.set(name, data);
        }
        continue;
      }
      if (layer.name === undefined) continue;
      const weightShape = parameters.weight ?? [1];
      const fanIn = weightShape.slice(1).reduce((a, b) => a * b, 1);
      const bound = 1 / Math.sqrt(fanIn);
      const normalization = layer.op === 'batchnorm' || layer.op === 'layernorm';
      for (const [suffix, shape] of Object.entries(parameters)) {
        const [low, high] =
          suffix === 'running_var'
            ? [0.5, 1.5]
            : suffix === 'weight' && normalization
              ? [0.5, 1.5]
              : normalization
                ? [-0.5, 0.5]
                : [-bound, bound];
        const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
        for (let i = 0; i < data.length; i++) data[i] = uniform(low, high);
        member.set(`${layer.name}.${suffix}`, data);
      }
    }
    return member;
  });
}

/** Stacks float32 members in memory (the file-level form is `stackMembers`). */
export function stackFloat32Members(architecture: EnsembleArchitecture, members: readonly MemberParameters[]): StackedEnsemble {
  const parameters = new Map<string, Float32Array>();
  for (const name of architecture.parameterShapes.keys()) {
    const parts = members.map((member) => member.get(name) as Float32Array);
    const size = parts[0]?.length ?? 0;
    const stacked = new Float32Array(size * members.length);
    for (const [m, part] of parts.entries()) stacked.set(part, m * size);
    parameters.set(name, stacked);
  }
  return { architecture, parameters };
}

/** A standard-normal input of the given shape (Box-Muller). */
export function randomInput(shape: readonly number[], seed: number): Tensor {
  const random = seededRandom(seed);
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) {
    data[i] = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  }
  return { shape: [...shape], data };
}

/**
 * An input for an architecture: `[...lead, ...input shape]`, standard normal,
 * or for token ids (`int64` inputs) integers from 0 to the largest id the
 * graph accepts.
 */
export function randomArchitectureInput(architecture: EnsembleArchitecture, lead: readonly number[], seed: number): Tensor {
  const shape = [...lead, ...architecture.manifest.input.shape];
  if (architecture.manifest.input.dtype !== 'int64') return randomInput(shape, seed);
  const random = seededRandom(seed);
  const limit = (architecture.maxInputId ?? 0) + 1;
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(random() * limit);
  return { shape, data };
}
