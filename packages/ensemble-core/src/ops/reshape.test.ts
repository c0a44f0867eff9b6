/**
 * `reshape` as exported attention uses it, beside `transpose`, `slice`,
 * `squeeze`, `unsqueeze`, `concat` and `reducemean`: the batch moved off
 * the front, folded with the heads and unfolded again, on every engine
 * against the float64 reference; and the reshape shape rule.
 */
import { describe, expect, it } from 'vitest';
import { ManifestError } from '../errors/ensemble-error.js';
import type { ManifestInput } from '../manifest/manifest-schema.js';
import { parseManifest } from '../manifest/parse-manifest.js';
import { formatSymbolicShape } from '../tensor/symbolic-shape.js';
import { describeOnEveryEngine, manifestProblems } from '../testing/check-engines.js';

/** INT64 min, as a JSON number: PyTorch's open end walking backwards. */
const INT64_MIN = -(2 ** 63);

// Per-member shapes in the comments; S = 6 positions, E = 8 features, 4 heads of 2.
const attention: ManifestInput = {
  name: 'attention-moves',
  members: 3,
  input: { shape: [6, 8] },
  layers: [
    { op: 'linear', name: 'qkv', in: 8, out: 24 }, // [batch, 6, 24]
    { op: 'transpose', name: 'sbe', perm: [1, 0, 2] }, // [6, batch, 24]: [S, B, 3E]
    { op: 'reshape', name: 'split', shape: [0, 0, 3, 8] }, // [6, batch, 3, 8]
    { op: 'slice', name: 'q3', inputs: ['split'], starts: [0], ends: [1], axes: [2] }, // [6, batch, 1, 8]
    { op: 'squeeze', name: 'q', axes: [-2] }, // [6, batch, 8]
    { op: 'slice', name: 'k3', inputs: ['split'], starts: [1], ends: [2], axes: [-2] },
    { op: 'squeeze', name: 'k', axes: [2] },
    // v, with the positions reversed
    { op: 'slice', name: 'v3', inputs: ['split'], starts: [-1, -1], ends: [1, INT64_MIN], axes: [2, 0], steps: [-1, -1] },
    { op: 'squeeze', name: 'v' }, // every unit axis, never the batch: [6, batch, 8]
    { op: 'reshape', name: 'qh', inputs: ['q'], shape: [6, -1, 2] }, // [6, 4*batch, 2]: batch folded with heads
    { op: 'transpose', name: 'qt', perm: [1, 0, 2] }, // [4*batch, 6, 2]
    { op: 'reshape', name: 'kh', inputs: ['k'], shape: [0, -1, 2] },
    { op: 'transpose', name: 'kt', perm: [1, 2, 0] }, // [4*batch, 2, 6]
    { op: 'reducemean', name: 'kmean', axes: [1] }, // [4*batch, 1, 6]
    { op: 'transpose', name: 'kcol', perm: [0, -1, -2] }, // [4*batch, 6, 1]
    { op: 'transpose', name: 'vb', inputs: ['v'], perm: [1, 0, 2] }, // [batch, 6, 8]
    { op: 'reshape', name: 'vh', shape: [0, 6, 4, 2] }, // [batch, 6, 4, 2]
    { op: 'transpose', name: 'vbh', perm: [0, 2, 1, 3] }, // [batch, 4, 6, 2]
    { op: 'reshape', name: 'vt', shape: [-1, 6, 2] }, // [4*batch, 6, 2]
    { op: 'mul', name: 'qv', inputs: ['qt', 'vt'] },
    { op: 'add', name: 'scores', inputs: ['qv', 'kcol'] }, // [4*batch, 6, 2]
    { op: 'reshape', name: 'heads', shape: [-1, 4, 6, 2] }, // [batch, 4, 6, 2]: unfolded
    { op: 'transpose', name: 'bshd', perm: [0, 2, 1, 3] }, // [batch, 6, 4, 2]
    { op: 'reshape', name: 'merged', shape: [0, 6, 8] }, // [batch, 6, 8]
    { op: 'concat', name: 'both', inputs: ['merged', 'input'], axis: -1 }, // [batch, 6, 16]
    { op: 'unsqueeze', name: 'wide', axes: [0, -1] }, // [1, batch, 6, 16, 1]
    { op: 'squeeze', name: 'narrow', axes: [0, 4] }, // [batch, 6, 16]
    { op: 'linear', name: 'out', in: 16, out: 5 }, // [batch, 6, 5]
    { op: 'reducemean', name: 'pooled', axes: [1], keepdims: false }, // [batch, 5]
  ],
};

describeOnEveryEngine('attention-style reshapes', attention);

/** A graph on `input` of per-sample shape `shape` ending in `layers`. */
function graph(shape: number[], layers: ManifestInput['layers']): ManifestInput {
  return { name: 'rule', members: 2, input: { shape }, layers };
}

describe('reshape shape rule', () => {
  it('follows the batch through the attention graph', () => {
    const shapes = Object.fromEntries(parseManifest(attention).layers.map((layer) => [layer.id, formatSymbolicShape(layer.value.shape)]));
    expect(shapes).toMatchObject({
      sbe: '[6, batch, 24]',
      split: '[6, batch, 3, 8]',
      q3: '[6, batch, 1, 8]',
      v: '[6, batch, 8]',
      qh: '[6, 4*batch, 2]',
      qt: '[4*batch, 6, 2]',
      kt: '[4*batch, 2, 6]',
      kmean: '[4*batch, 1, 6]',
      kcol: '[4*batch, 6, 1]',
      vb: '[batch, 6, 8]',
      vt: '[4*batch, 6, 2]',
      heads: '[batch, 4, 6, 2]',
      bshd: '[batch, 6, 4, 2]',
      merged: '[batch, 6, 8]',
      wide: '[1, batch, 6, 16, 1]',
      narrow: '[batch, 6, 16]',
      pooled: '[batch, 5]',
    });
  });

  it('copies sizes with 0 and infers -1, on values without a batch too', () => {
    const architecture = parseManifest(
      graph(
        [2, 3],
        [
          { op: 'parameter', name: 'p', shape: [2, 6] },
          { op: 'reshape', name: 'p3', shape: [0, -1, 2] },
          { op: 'reshape', name: 'x', inputs: ['input'], shape: [-1, 0, 3] },
        ],
      ),
    );
    expect(architecture.layers.map((layer) => formatSymbolicShape(layer.value.shape))).toEqual(['[2, 6]', '[2, 3, 2]', '[batch, 2, 3]']);
  });

  it('refuses -1 twice', () => {
    expect(manifestProblems(graph([4, 6], [{ op: 'reshape', shape: [-1, 2, -1] }]))).toEqual([
      { path: 'layers[0]', message: 'reshape target [-1, 2, -1] may hold -1 once' },
    ]);
  });

  it('refuses a target with no axis for the batch', () => {
    expect(manifestProblems(graph([4, 6], [{ op: 'reshape', shape: [4, 6] }]))).toEqual([
      { path: 'layers[0]', message: 'reshape target [4, 6] has no axis for the batch of [batch, 4, 6] (use -1 there)' },
    ]);
  });

  it('refuses a size that does not fit', () => {
    expect(manifestProblems(graph([4, 6], [{ op: 'reshape', shape: [-1, 5] }]))).toEqual([
      { path: 'layers[0]', message: 'reshape cannot reshape [batch, 4, 6] to [-1, 5]' },
    ]);
  });

  it('refuses sizes below -1 in the schema', () => {
    expect(() => parseManifest(graph([4, 6], [{ op: 'reshape', shape: [-2, 12] }]))).toThrow(ManifestError);
  });
});
