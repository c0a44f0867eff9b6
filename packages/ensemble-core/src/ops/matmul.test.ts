import { describe, expect, it } from 'vitest';
import type { ManifestInput } from '../manifest/manifest-schema.js';
import { parseManifest } from '../manifest/parse-manifest.js';
import { describeOnEveryEngine, manifestProblems } from '../testing/check-engines.js';
import { matmulReference, planMatmul } from './matmul.js';

/** Index `s * columns + c` at `[c, s]`: gathering a flattened `[rows, columns]` value by it transposes it. */
function transposingIndex(rows: number, columns: number): number[] {
  return Array.from({ length: rows * columns }, (_, i) => (i % rows) * columns + Math.floor(i / rows));
}

// Single-head self-attention as exported from PyTorch: scores = q @ kᵀ / √d, softmax, @ v.
// kᵀ comes from gathering the flattened k by a transposing index, activations against activations.
describeOnEveryEngine('matmul attention', {
  name: 'attention',
  members: 3,
  input: { shape: [4, 6] },
  layers: [
    { op: 'linear', name: 'q', in: 6, out: 6, inputs: ['input'] },
    { op: 'linear', name: 'k', in: 6, out: 6, inputs: ['input'] },
    { op: 'linear', name: 'v', in: 6, out: 6, inputs: ['input'] },
    { op: 'flatten', name: 'k_rows', inputs: ['k'] },
    { op: 'constant', name: 'transposing', shape: [6, 4], dtype: 'int64', value: transposingIndex(4, 6) },
    { op: 'gather', name: 'k_t', axis: 1, inputs: ['k_rows', 'transposing'] },
    { op: 'matmul', name: 'scores', inputs: ['q', 'k_t'] },
    { op: 'constant', name: 'scale', shape: [], value: [1 / Math.sqrt(6)] },
    { op: 'mul', name: 'scaled', inputs: ['scores', 'scale'] },
    { op: 'softmax', name: 'weights', dim: -1 },
    { op: 'matmul', name: 'attended', inputs: ['weights', 'v'] },
    { op: 'add', name: 'residual', inputs: ['attended', 'input'] },
    { op: 'linear', name: 'out', in: 6, out: 3 },
  ],
});

// `x @ W` as exported Linear layers write it, and every operand layout: the shared input against a
// per-member weight, leading axes that broadcast ([B, 4, 5] @ [2, 1, 5, 3]), a shared constant,
// 1-D operands on either side, and a members activation against a per-member matrix.
const projections: ManifestInput = {
  name: 'projections',
  members: 3,
  input: { shape: [4, 6] },
  layers: [
    { op: 'parameter', name: 'w', shape: [6, 5] },
    { op: 'matmul', name: 'xw', inputs: ['input', 'w'] },
    { op: 'parameter', name: 'heads', shape: [2, 1, 5, 3] },
    { op: 'matmul', name: 'per_head', inputs: ['xw', 'heads'] },
    { op: 'constant', name: 'second', shape: [], dtype: 'int64', value: [1] },
    { op: 'gather', name: 'head', axis: 0, inputs: ['per_head', 'second'] },
    { op: 'parameter', name: 'mix', shape: [3, 3] },
    { op: 'matmul', name: 'mixed', inputs: ['head', 'mix'] },
    { op: 'parameter', name: 'pool', shape: [4] },
    { op: 'matmul', name: 'pooled', inputs: ['pool', 'mixed'] },
    { op: 'constant', name: 'fixed', shape: [6, 3], value: Array.from({ length: 18 }, (_, i) => ((i * 7) % 5) / 5 - 0.4) },
    { op: 'matmul', name: 'x_fixed', inputs: ['input', 'fixed'] },
    { op: 'parameter', name: 'column', shape: [3] },
    { op: 'matmul', name: 'rows', inputs: ['x_fixed', 'column'] },
    { op: 'parameter', name: 'spread', shape: [4, 3] },
    { op: 'matmul', name: 'spread_rows', inputs: ['rows', 'spread'] },
    { op: 'add', name: 'sum', inputs: ['pooled', 'spread_rows'] },
  ],
};
describeOnEveryEngine('matmul projections', projections);

describe('matmul shape rule', () => {
  const shapes = (a: Parameters<typeof planMatmul>[0], b: Parameters<typeof planMatmul>[1]) => {
    const plan = planMatmul(a, b);
    return 'problem' in plan ? plan.problem : plan.shape;
  };

  it('follows ONNX MatMul: broadcast leading axes, 1-D operands promoted and dropped', () => {
    expect(shapes([{ batch: 1 }, 4, 6], [6, 5])).toEqual([{ batch: 1 }, 4, 5]);
    expect(shapes([{ batch: 1 }, 4, 5], [2, 1, 5, 3])).toEqual([2, { batch: 1 }, 4, 3]);
    expect(shapes([4], [{ batch: 1 }, 4, 3])).toEqual([{ batch: 1 }, 3]);
    expect(shapes([{ batch: 1 }, 4, 3], [3])).toEqual([{ batch: 1 }, 4]);
    expect(shapes([3], [3])).toEqual([]);
    expect(shapes([{ batch: 4 }, 8, 16], [{ batch: 4 }, 16, 8])).toEqual([{ batch: 4 }, 8, 8]);
  });

  it('refuses mismatched inner dimensions, naming both shapes', () => {
    expect(
      manifestProblems({
        name: 'bad',
        members: 2,
        input: { shape: [4, 6] },
        layers: [
          { op: 'parameter', name: 'w', shape: [5, 3] },
          { op: 'matmul', name: 'xw', inputs: ['input', 'w'] },
        ],
      }),
    ).toEqual([{ path: 'layers[1]', message: 'matmul shapes [batch, 4, 6] and [5, 3] do not multiply: inner dimensions 6 and 5 differ' }]);
  });

  it('refuses leading axes that do not broadcast, a sum over the batch and two batch axes', () => {
    expect(shapes([3, 4, 6], [2, 6, 5])).toBe('shapes [3, 4, 6] and [2, 6, 5] do not multiply: leading axes [3] and [2] do not broadcast');
    expect(shapes([4, { batch: 1 }], [{ batch: 1 }, 3])).toBe(
      'of [4, batch] and [batch, 3] would sum over the batch axis; each sample must stay apart',
    );
    expect(shapes([{ batch: 1 }, 1, 4, 6], [{ batch: 1 }, 6, 2])).toBe('of [batch, 1, 4, 6] and [batch, 6, 2] would give two batch axes');
    expect(shapes([{ batch: 1 }, 4, 6], [6, { batch: 1 }])).toBe(
      'of [batch, 4, 6] and [6, batch] would give two batch axes, [batch, 4, batch]',
    );
    expect(shapes([], [3])).toBe('multiplies tensors of rank 1 or more, got [] and [3]');
  });

  it('refuses int64 operands', () => {
    expect(() =>
      parseManifest({
        name: 'ids',
        members: 2,
        input: { shape: [4], dtype: 'int64' },
        layers: [
          { op: 'parameter', name: 'w', shape: [4, 2] },
          { op: 'matmul', name: 'xw', inputs: ['input', 'w'] },
        ],
      }),
    ).toThrow(/matmul takes float32 inputs, got int64 and float32/);
  });

  it('counts multiply-adds per sample: output elements times the summed dimension', () => {
    const architecture = parseManifest(projections);
    const byLayer = [
      4 * 5 * 6, // xw
      2 * 4 * 3 * 5, // per_head
      4 * 3 * 3, // mixed
      3 * 4, // pooled
      4 * 3 * 6, // x_fixed
      4 * 3, // rows
      3 * 4, // spread_rows
    ];
    expect(architecture.multiplyAddsPerSample).toBe(byLayer.reduce((a, b) => a + b, 0));
  });

  it('has a reference that broadcasts leading axes as NumPy does', () => {
    // [2, 1, 1, 2] @ [3, 2, 1]: leading [2, 1] and [3] give [2, 3].
    const a = { shape: [2, 1, 1, 2], data: Float64Array.of(1, 2, 3, 4) };
    const b = { shape: [3, 2, 1], data: Float64Array.of(1, 0, 0, 1, 1, 1) };
    const result = matmulReference(a, b);
    expect(result.shape).toEqual([2, 3, 1, 1]);
    expect([...result.data]).toEqual([1, 2, 3, 3, 4, 7]);
  });
});
