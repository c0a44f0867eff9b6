/** Exported attention's key transpose between two reshapes, written as one transpose of the last two axes. */
import { describe, expect, it } from 'vitest';
import { randomMembers, stackFloat32Members } from '../../examples/random-members.js';
import type { ManifestInput } from '../../manifest/manifest-schema.js';
import { parseManifest } from '../../manifest/parse-manifest.js';
import { describeOnEveryEngine } from '../../testing/check-engines.js';
import { buildEnsembleGraph } from './build-ensemble-graph.js';
import { lastAxesSwaps } from './last-axes-swaps.js';

// Per-member shapes in the comments: b the batch, 4 heads, 6 positions, 2 features a head.
const attention: ManifestInput = {
  name: 'key-transposes',
  members: 3,
  input: { shape: [4, 6, 2] },
  layers: [
    // the input's last two axes swapped: a chain to fold
    { op: 'reshape', name: 'xh', shape: [-1, 6, 2] }, // [4*b, 6, 2]
    { op: 'transpose', name: 'xt', perm: [0, 2, 1] }, // [4*b, 2, 6]
    { op: 'reshape', name: 'x', shape: [-1, 4, 2, 6] }, // [b, 4, 2, 6]
    { op: 'linear', name: 'proj', inputs: ['input'], in: 2, out: 2 }, // [b, 4, 6, 2]
    // keys: a chain to fold, the perm written with negative axes
    { op: 'reshape', name: 'kh', shape: [-1, 6, 2] },
    { op: 'transpose', name: 'kt', perm: [0, -1, -2] },
    { op: 'reshape', name: 'k', shape: [-1, 4, 2, 6] },
    // values: the same chain, but its transpose is read twice, so it stays
    { op: 'reshape', name: 'vh', inputs: ['proj'], shape: [-1, 6, 2] },
    { op: 'transpose', name: 'vt', perm: [0, 2, 1] }, // [4*b, 2, 6]
    { op: 'reshape', name: 'v', shape: [-1, 4, 2, 6] },
    { op: 'reducemean', name: 'vmean', inputs: ['vt'], axes: [1] }, // [4*b, 1, 6]
    { op: 'reshape', name: 'vm', shape: [-1, 4, 1, 6] },
    { op: 'add', name: 'v2', inputs: ['v', 'vm'] }, // [b, 4, 2, 6]
    { op: 'matmul', name: 'scores', inputs: ['proj', 'k'] }, // [b, 4, 6, 6]
    { op: 'matmul', name: 'raw', inputs: ['input', 'x'] },
    { op: 'matmul', name: 'values', inputs: ['proj', 'v2'] },
    { op: 'add', name: 'sum', inputs: ['scores', 'raw'] },
    { op: 'add', name: 'all', inputs: ['sum', 'values'] },
    { op: 'softmax', name: 'p', dim: -1 },
  ],
};

describeOnEveryEngine('key transposes between reshapes', attention);

/** `attention` with its layer `name` changed by `edit`. */
function edited(name: string, edit: Record<string, unknown>): ManifestInput {
  return {
    ...attention,
    layers: attention.layers.map((layer) => (layer.name === name ? { ...layer, ...edit } : layer)) as ManifestInput['layers'],
  };
}

describe('swaps of the last two axes between reshapes', () => {
  it('are found where the reshapes leave the last two axes alone and each step is read once', () => {
    const { sources, folded } = lastAxesSwaps(parseManifest(attention));
    expect(Object.fromEntries(sources)).toEqual({ x: 'input', k: 'proj' });
    expect([...folded].sort()).toEqual(['kh', 'kt', 'xh', 'xt']);
  });

  it('are not found for another permutation, or a first reshape that moves the last two axes', () => {
    expect([...lastAxesSwaps(parseManifest(edited('kt', { perm: [2, 1, 0] }))).sources.keys()]).toEqual(['x']);
    const regrouped = edited('kh', { shape: [-1, 3, 4] }); // [4*b, 3, 4] -> [4*b, 4, 3] -> [b, 4, 2, 6]: same sizes, other order
    expect([...lastAxesSwaps(parseManifest(regrouped)).sources.keys()]).toEqual(['x']);
  });

  it('leave one Transpose per chain in the ONNX graph, over the member axis too', () => {
    const architecture = parseManifest(attention);
    const graph = buildEnsembleGraph(stackFloat32Members(architecture, randomMembers(architecture, 1)), 'per-member');
    const perms = graph.nodes.filter((node) => node.opType === 'Transpose').map((node) => node.attributes?.perm?.value);
    // x and k: [N, b, 4, 6, 2] -> [N, b, 4, 2, 6]; v's chain as written: [N, 4*b, 6, 2] -> [N, 4*b, 2, 6]
    expect(perms).toEqual([
      [0, 1, 2, 4, 3],
      [0, 1, 2, 4, 3],
      [0, 1, 3, 2],
    ]);
  });
});
