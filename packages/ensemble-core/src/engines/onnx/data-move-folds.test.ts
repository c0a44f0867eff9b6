/** Exported attention's chains of data moves, written as one step each in the ONNX graph. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { randomMembers, stackFloat32Members } from '../../examples/random-members.js';
import type { ManifestInput } from '../../manifest/manifest-schema.js';
import { parseManifest } from '../../manifest/parse-manifest.js';
import { importOnnxMembers } from '../../onnx-import/index.js';
import { describeOnEveryEngine } from '../../testing/check-engines.js';
import { buildEnsembleGraph } from './build-ensemble-graph.js';
import { foldDataMoves } from './data-move-folds.js';

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
    const { moves, skipped } = foldDataMoves(parseManifest(attention));
    expect(Object.fromEntries(moves)).toEqual({
      x: { op: 'transpose', source: 'input', perm: [0, 1, 3, 2] },
      k: { op: 'transpose', source: 'proj', perm: [0, 1, 3, 2] },
    });
    expect([...skipped].sort()).toEqual(['kh', 'kt', 'xh', 'xt']);
  });

  it('are not found for another permutation, or a first reshape that moves the last two axes', () => {
    expect([...foldDataMoves(parseManifest(edited('kt', { perm: [2, 1, 0] }))).moves.keys()]).toEqual(['x']);
    const regrouped = edited('kh', { shape: [-1, 3, 4] }); // [4*b, 3, 4] -> [4*b, 4, 3] -> [b, 4, 2, 6]: same sizes, other order
    expect([...foldDataMoves(parseManifest(regrouped)).moves.keys()]).toEqual(['x']);
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

// q, k and v picked out of a packed projection as nn.MultiheadAttention's export does. Per-member shapes.
const packed: ManifestInput = {
  name: 'packed-projection',
  members: 3,
  input: { shape: [6, 2] },
  layers: [
    { op: 'linear', name: 'proj', in: 2, out: 6 }, // [b, 6, 6]
    { op: 'reshape', name: 'view', shape: [0, 6, 3, 2] }, // [b, 6, 3, 2]
    { op: 'unsqueeze', name: 'u', axes: [0] }, // [1, b, 6, 3, 2]
    { op: 'transpose', name: 't', perm: [3, 1, 2, 0, 4] }, // [3, b, 6, 1, 2]
    { op: 'squeeze', name: 'sq', axes: [-2] }, // [3, b, 6, 2]
    { op: 'constant', name: 'i0', shape: [], value: [0], dtype: 'int64' },
    { op: 'constant', name: 'i1', shape: [], value: [1], dtype: 'int64' },
    { op: 'constant', name: 'last', shape: [], value: [-1], dtype: 'int64' },
    { op: 'gather', name: 'q', inputs: ['sq', 'i0'] }, // [b, 6, 2]
    { op: 'gather', name: 'k', inputs: ['sq', 'i1'], axis: -4 },
    { op: 'gather', name: 'v', inputs: ['sq', 'last'] },
    { op: 'mul', name: 'qk', inputs: ['q', 'k'] },
    { op: 'add', name: 'qkv', inputs: ['qk', 'v'] },
  ],
};

describeOnEveryEngine('q, k and v picked out of a packed projection', packed);

describe('scalar picks through unsqueeze, transpose and squeeze', () => {
  it('are one gather each on the source axis when the other axes stay in order', () => {
    const { moves, skipped } = foldDataMoves(parseManifest(packed));
    expect(Object.fromEntries(moves)).toEqual({
      q: { op: 'gather', source: 'view', indices: 'i0', axis: 2 },
      k: { op: 'gather', source: 'view', indices: 'i1', axis: 2 },
      v: { op: 'gather', source: 'view', indices: 'last', axis: 2 },
    });
    expect([...skipped].sort()).toEqual(['sq', 't', 'u']);
  });

  it('are left as written when the other axes change order, or another reader needs the chain', () => {
    // [1, b, 2, 3, 2] -> [3, b, 2, 1, 2] with the two axes of 2 swapped: a pick has the source's shape without
    // the picked axis, [b, 2, 2], but not its order
    const swapped: ManifestInput = {
      name: 'swapped-picks',
      members: 2,
      input: { shape: [2, 2] },
      layers: [
        { op: 'linear', name: 'proj', in: 2, out: 6 }, // [b, 2, 6]
        { op: 'reshape', name: 'view', shape: [0, 2, 3, 2] },
        { op: 'unsqueeze', name: 'u', axes: [0] },
        { op: 'transpose', name: 't', perm: [3, 1, 4, 0, 2] },
        { op: 'squeeze', name: 'sq', axes: [-2] },
        { op: 'constant', name: 'i0', shape: [], value: [0], dtype: 'int64' },
        { op: 'gather', name: 'q', inputs: ['sq', 'i0'] },
      ],
    };
    expect(foldDataMoves(parseManifest(swapped)).moves.size).toBe(0);
    const alsoRead = { ...packed, layers: [...packed.layers, { op: 'reducemean', name: 'm', inputs: ['sq'], axes: [0] }], output: 'qkv' };
    expect(foldDataMoves(parseManifest(alsoRead as ManifestInput)).moves.size).toBe(0);
  });

  it('leave one Gather per pick and no Transpose in the ONNX graph', () => {
    const architecture = parseManifest(packed);
    const graph = buildEnsembleGraph(stackFloat32Members(architecture, randomMembers(architecture, 1)), 'per-member');
    const ops = graph.nodes.map((node) => node.opType);
    expect(ops.filter((op) => op === 'Transpose' || op === 'Squeeze' || op === 'Unsqueeze')).toEqual([]);
    expect(graph.nodes.filter((node) => node.opType === 'Gather').map((node) => node.attributes?.axis?.value)).toEqual([3, 3, 3]);
  });
});

describe('exported transformers', () => {
  // The encoder fixtures (2 layers), as PyTorch's exporters wrote them: the folds must keep finding their chains.
  it.each([
    ['dynamo', { transpose: 2, gather: 6 }],
    ['torchscript', { gather: 6 }],
  ])('%s: the keys transposed and q, k, v picked in one step each', (exporter, expected) => {
    for (const fixture of ['transformer-prenorm', 'transformer-postnorm']) {
      const files = [0, 1, 2].map((m) => ({
        name: `member${m}.${exporter}.onnx`,
        bytes: readFileSync(new URL(`../../../fixtures/onnx/${fixture}/member${m}.${exporter}.onnx`, import.meta.url)),
      }));
      const { moves } = foldDataMoves(parseManifest(importOnnxMembers(files, { name: fixture }).manifest));
      const counts: Record<string, number> = {};
      for (const { op } of moves.values()) counts[op] = (counts[op] ?? 0) + 1;
      expect(counts, fixture).toEqual(expected);
    }
  });
});
