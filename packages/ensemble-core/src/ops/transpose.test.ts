/** `transpose`'s shape rule; every engine runs it in `reshape.test.ts` and `concat.test.ts`. */
import { describe, expect, it } from 'vitest';
import type { ManifestInput } from '../manifest/manifest-schema.js';
import { parseManifest } from '../manifest/parse-manifest.js';
import { formatSymbolicShape } from '../tensor/symbolic-shape.js';
import { manifestProblems } from '../testing/check-engines.js';

const graph = (layers: ManifestInput['layers']): ManifestInput => ({ name: 'rule', members: 2, input: { shape: [4, 6] }, layers });
const shapes = (manifest: ManifestInput) => parseManifest(manifest).layers.map((layer) => formatSymbolicShape(layer.value.shape));

describe('transpose shape rule', () => {
  it('moves the batch axis with the others; no perm reverses them; negative entries count from the end', () => {
    expect(
      shapes(
        graph([
          { op: 'transpose', name: 'reversed' },
          { op: 'transpose', name: 'sbe', inputs: ['input'], perm: [-2, 0, -1] },
          { op: 'transpose', name: 'back', perm: [1, 0, 2] },
        ]),
      ),
    ).toEqual(['[6, 4, batch]', '[4, batch, 6]', '[batch, 4, 6]']);
  });

  it('refuses a perm that repeats an axis', () => {
    expect(manifestProblems(graph([{ op: 'transpose', perm: [0, 0, 1] }]))).toEqual([
      { path: 'layers[0]', message: 'transpose perm [0, 0, 1] is not a permutation of the 3 axes of [batch, 4, 6]' },
    ]);
  });

  it('refuses a perm of the wrong length or out of range', () => {
    expect(manifestProblems(graph([{ op: 'transpose', perm: [1, 0] }]))).toEqual([
      { path: 'layers[0]', message: 'transpose perm [1, 0] is not a permutation of the 3 axes of [batch, 4, 6]' },
    ]);
    expect(manifestProblems(graph([{ op: 'transpose', perm: [0, 1, 3] }]))).toEqual([
      { path: 'layers[0]', message: 'transpose perm [0, 1, 3] is not a permutation of the 3 axes of [batch, 4, 6]' },
    ]);
  });
});
