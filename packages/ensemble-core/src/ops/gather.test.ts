import { describe, expect, it } from 'vitest';
import { referenceForward } from '../engines/reference/reference-forward.js';
import { randomMembers, stackFloat32Members } from '../examples/random-members.js';
import type { ManifestInput } from '../manifest/manifest-schema.js';
import { parseManifest } from '../manifest/parse-manifest.js';
import { describeOnEveryEngine, manifestProblems } from '../testing/check-engines.js';
import { testEngines } from '../testing/test-engines.js';

// A token embedding as nn.Embedding exports it: per-member tables indexed by the int64 input (shared
// ids for all members, or each member's own ids in per-member mode), positions, layers on top.
describeOnEveryEngine('gather token embedding', {
  name: 'embedding',
  members: 3,
  input: { shape: [5], dtype: 'int64' },
  layers: [
    { op: 'parameter', name: 'tokens', shape: [7, 4] },
    { op: 'gather', name: 'embedded', inputs: ['tokens', 'input'] },
    { op: 'parameter', name: 'positions', shape: [5, 4] },
    { op: 'add', name: 'summed', inputs: ['embedded', 'positions'] },
    { op: 'layernorm', name: 'norm', features: 4 },
    { op: 'linear', name: 'proj', in: 4, out: 3 },
    { op: 'gelu', name: 'act' },
    { op: 'linear', name: 'head', in: 3, out: 2 },
  ],
});

// Every layout of data and indices: a shared table; a table per member along axis 1 (the gathered
// axis moved next to the member axis for per-member ids); one shared [2, 7, 1] table along axis 1;
// int64 data (ids picked out of the input, a negative index among them) indexing a table; scalar
// constant indices picking one slice of an activation, as q, k, v are picked out of [3, S, B, D].
describeOnEveryEngine('gather layouts', {
  name: 'gather-layouts',
  members: 3,
  input: { shape: [5], dtype: 'int64' },
  layers: [
    { op: 'parameter', name: 'tokens', shape: [7, 3] },
    { op: 'gather', name: 'embedded', inputs: ['tokens', 'input'] },
    { op: 'constant', name: 'table', shape: [7, 3], value: Array.from({ length: 21 }, (_, i) => Math.sin(i)) },
    { op: 'gather', name: 'looked_up', inputs: ['table', 'input'] },
    { op: 'add', name: 'both', inputs: ['embedded', 'looked_up'] },
    { op: 'parameter', name: 'biases', shape: [3, 7, 1] },
    { op: 'gather', name: 'per_table', axis: 1, inputs: ['biases', 'input'] },
    { op: 'constant', name: 'last', shape: [], dtype: 'int64', value: [2] },
    { op: 'gather', name: 'bias', axis: 0, inputs: ['per_table', 'last'] },
    { op: 'constant', name: 'shared_biases', shape: [2, 7, 1], value: Array.from({ length: 14 }, (_, i) => Math.cos(i)) },
    { op: 'gather', name: 'shared_per_table', axis: -2, inputs: ['shared_biases', 'input'] },
    { op: 'constant', name: 'minus_one', shape: [], dtype: 'int64', value: [-1] },
    { op: 'gather', name: 'shared_bias', axis: -4, inputs: ['shared_per_table', 'minus_one'] },
    { op: 'constant', name: 'picks', shape: [2], dtype: 'int64', value: [-1, 1] },
    { op: 'gather', name: 'picked', axis: 1, inputs: ['input', 'picks'] },
    { op: 'parameter', name: 'more_tokens', shape: [8, 3] },
    { op: 'gather', name: 'picked_embedded', inputs: ['more_tokens', 'picked'] },
    { op: 'parameter', name: 'spread', shape: [5, 2] },
    { op: 'matmul', name: 'spread_picked', inputs: ['spread', 'picked_embedded'] },
    { op: 'add', name: 'a', inputs: ['both', 'bias'] },
    { op: 'add', name: 'b', inputs: ['a', 'shared_bias'] },
    { op: 'add', name: 'c', inputs: ['b', 'spread_picked'] },
  ],
});

describe('gather shape rule', () => {
  const problems = (layers: ManifestInput['layers'], dtype: 'float32' | 'int64' = 'int64') =>
    manifestProblems({ name: 'bad', members: 2, input: { shape: [5], dtype }, layers });

  it('gives data[:axis] + indices + data[axis+1:], with the data dtype', () => {
    const architecture = parseManifest({
      name: 'shapes',
      members: 2,
      input: { shape: [5], dtype: 'int64' },
      layers: [
        { op: 'parameter', name: 'tokens', shape: [9, 4] },
        { op: 'gather', name: 'embedded', inputs: ['tokens', 'input'] },
        { op: 'constant', name: 'first', shape: [], dtype: 'int64', value: [0] },
        { op: 'gather', name: 'first_id', axis: -1, inputs: ['input', 'first'] },
        { op: 'gather', name: 'first_token', axis: 1, inputs: ['embedded', 'first'] },
      ],
    });
    expect(architecture.layers.map((layer) => layer.value)).toEqual([
      { shape: [9, 4], dtype: 'float32' },
      { shape: [{ batch: 1 }, 5, 4], dtype: 'float32' },
      { shape: [], dtype: 'int64' },
      { shape: [{ batch: 1 }], dtype: 'int64' },
      { shape: [{ batch: 1 }, 4], dtype: 'float32' },
    ]);
    // Token ids are checked against the table the input indexes.
    expect(architecture.maxInputId).toBe(8);
  });

  it('refuses float32 indices, an axis out of range, the batch axis and two batch axes', () => {
    expect(
      problems(
        [
          { op: 'parameter', name: 'tokens', shape: [7, 4] },
          { op: 'gather', name: 'embedded', inputs: ['tokens', 'input'] },
        ],
        'float32',
      ),
    ).toEqual([{ path: 'layers[1]', message: 'gather takes int64 indices, got float32 [batch, 5]' }]);
    expect(
      problems([
        { op: 'parameter', name: 'tokens', shape: [7, 4] },
        { op: 'gather', name: 'embedded', axis: 2, inputs: ['tokens', 'input'] },
      ]),
    ).toEqual([{ path: 'layers[1]', message: 'gather axis 2 is out of range for data [7, 4] (axes -2 to 1)' }]);
    expect(
      problems([
        { op: 'constant', name: 'first', shape: [], dtype: 'int64', value: [0] },
        { op: 'gather', name: 'sample', inputs: ['input', 'first'] },
      ]),
    ).toEqual([{ path: 'layers[1]', message: 'gather axis 0 is the batch axis of data [batch, 5]; each sample must stay apart' }]);
    expect(
      problems([
        { op: 'parameter', name: 'tokens', shape: [7, 4] },
        { op: 'gather', name: 'embedded', inputs: ['tokens', 'input'] },
        { op: 'gather', name: 'twice', axis: 1, inputs: ['embedded', 'input'] },
      ]),
    ).toEqual([
      { path: 'layers[2]', message: 'gather of data [batch, 5, 4] by indices [batch, 5] would give two batch axes, [batch, batch, 5, 4]' },
    ]);
  });

  describe('an index out of range at run time', () => {
    const outOfRange = (index: number): ManifestInput => ({
      name: 'out-of-range',
      members: 3,
      input: { shape: [4] },
      layers: [
        { op: 'parameter', name: 'table', shape: [7, 4] },
        { op: 'constant', name: 'row', shape: [], dtype: 'int64', value: [index] },
        { op: 'gather', name: 'picked', inputs: ['table', 'row'] },
        { op: 'mul', name: 'scaled', inputs: ['input', 'picked'] },
      ],
    });
    const ensembleOf = (manifest: ManifestInput) => {
      const architecture = parseManifest(manifest);
      return stackFloat32Members(architecture, randomMembers(architecture, 1));
    };
    const input = { shape: [2, 4], data: new Float32Array(8).fill(1) };

    it('is refused by the reference, naming the index and the range', () => {
      expect(() => referenceForward(ensembleOf(outOfRange(9)), input, 'shared')).toThrow(
        new RangeError('gather index 9 is out of range for axis 0 of data [7, 4]: indices must be integers from -7 to 6'),
      );
      expect(() => referenceForward(ensembleOf(outOfRange(-8)), input, 'shared')).toThrow(/gather index -8 is out of range/);
      expect(referenceForward(ensembleOf(outOfRange(-7)), input, 'shared').shape).toEqual([3, 2, 4]);
    });

    it.each(Object.entries(testEngines))(
      'fails on %s too, also where per-member ids meet per-member tables',
      async (_name, createEngine) => {
        const engine = createEngine();
        const constant = await engine.compile(ensembleOf(outOfRange(9)));
        const embedding = await engine.compile(
          ensembleOf({
            name: 'ids',
            members: 3,
            input: { shape: [2], dtype: 'int64' },
            layers: [
              { op: 'parameter', name: 'tokens', shape: [7, 4] },
              { op: 'gather', name: 'embedded', inputs: ['tokens', 'input'] },
            ],
          }),
        );
        try {
          await expect(constant.run(input, { mode: 'shared', strategy: 'vectorized' })).rejects.toThrow();
          // Member 0's id 7 is past its table's last row: an error, not member 1's first row.
          const ids = { shape: [3, 1, 2], data: Float32Array.of(7, 0, 1, 2, 3, 4) };
          await expect(embedding.run(ids, { mode: 'per-member', strategy: 'vectorized' })).rejects.toThrow();
          const valid = { shape: [3, 1, 2], data: Float32Array.of(6, 0, 1, 2, 3, 4) };
          await expect(embedding.run(valid, { mode: 'per-member', strategy: 'vectorized' })).resolves.toBeDefined();
        } finally {
          await constant.dispose();
          await embedding.dispose();
          await engine.dispose();
        }
      },
    );
  });
});
