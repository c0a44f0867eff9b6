/**
 * `concat`, and the shape ops on shared values: a graph that works on the
 * shared input in shared-input mode (so values stay shared until the first
 * layer with parameters), joins shared constants, joins shared values with
 * members ones, joins along the batch axis, and slices and reduces a
 * per-member parameter; on every engine against the float64 reference. Then
 * concat's shape rule.
 */
import { describe, expect, it } from 'vitest';
import type { ManifestInput } from '../manifest/manifest-schema.js';
import { parseManifest } from '../manifest/parse-manifest.js';
import { formatSymbolicShape } from '../tensor/symbolic-shape.js';
import { describeOnEveryEngine, manifestProblems } from '../testing/check-engines.js';

/** INT64 max and min as JSON numbers (9223372036854775807 parses to 2^63). */
const INT64_MAX = 2 ** 63;
const INT64_MIN = -(2 ** 63);

const sharedGraph: ManifestInput = {
  name: 'shared-shape-ops',
  members: 3,
  input: { shape: [4, 6] },
  layers: [
    { op: 'transpose', name: 'cols' }, // [6, 4, batch]
    { op: 'slice', name: 'even', starts: [0], ends: [INT64_MAX], steps: [2] }, // [3, 4, batch]
    { op: 'reshape', name: 'folded', shape: [3, 2, -1] }, // [3, 2, 2*batch]
    { op: 'reducemean', name: 'avg', axes: [1] }, // [3, 1, 2*batch]
    { op: 'squeeze', name: 'flat', axes: [1] }, // [3, 2*batch]
    { op: 'concat', name: 'twice', inputs: ['flat', 'flat'], axis: 0 }, // [6, 2*batch]
    { op: 'reshape', name: 'rows', shape: [6, -1, 2] }, // [6, batch, 2]
    { op: 'transpose', name: 'back', perm: [1, 2, 0] }, // [batch, 2, 6]
    { op: 'slice', name: 'rev', inputs: ['back'], starts: [-1], ends: [INT64_MIN], axes: [-1], steps: [-1] },
    { op: 'concat', name: 'stacked', inputs: ['back', 'rev'], axis: 0 }, // [2*batch, 2, 6]: along the batch
    { op: 'reshape', name: 'pairs', shape: [2, -1, 2, 6] }, // [2, batch, 2, 6]
    { op: 'reducemean', name: 'mean_pairs', axes: [0], keepdims: false }, // [batch, 2, 6]
    { op: 'constant', name: 'c1', shape: [2], value: [1, -2] },
    { op: 'constant', name: 'c2', shape: [4], value: [0.5, 0.25, -1, 3] },
    { op: 'concat', name: 'c', inputs: ['c1', 'c2'], axis: 0 }, // [6], shared
    { op: 'unsqueeze', name: 'c_row', axes: [0] }, // [1, 6]
    { op: 'add', name: 'shifted', inputs: ['mean_pairs', 'c_row'] }, // [batch, 2, 6], shared in shared mode
    { op: 'linear', name: 'fc', in: 6, out: 6 }, // members
    { op: 'concat', name: 'mixed', inputs: ['shifted', 'fc'], axis: 1 }, // [batch, 4, 6]: shared with members
    { op: 'parameter', name: 'p', shape: [6] },
    { op: 'slice', name: 'p_rev', starts: [INT64_MAX], ends: [INT64_MIN], steps: [-1] }, // [6], members
    { op: 'unsqueeze', name: 'p_row', axes: [-2] }, // [1, 6]
    { op: 'mul', name: 'scaled', inputs: ['mixed', 'p_row'] },
    { op: 'reducemean', name: 'p_mean', inputs: ['p'] }, // [1]: every axis
    { op: 'add', name: 'lifted', inputs: ['scaled', 'p_mean'] }, // [batch, 4, 6]
    { op: 'linear', name: 'out', in: 6, out: 3 }, // [batch, 4, 3]
  ],
};

describeOnEveryEngine('shape ops on shared values', sharedGraph);

const graph = (shape: number[], layers: ManifestInput['layers']): ManifestInput => ({ name: 'rule', members: 2, input: { shape }, layers });

describe('concat shape rule', () => {
  it('adds sizes on the axis; batch axes joined along the batch add up', () => {
    const shapes = Object.fromEntries(parseManifest(sharedGraph).layers.map((layer) => [layer.id, formatSymbolicShape(layer.value.shape)]));
    expect(shapes).toMatchObject({
      twice: '[6, 2*batch]',
      stacked: '[2*batch, 2, 6]',
      pairs: '[2, batch, 2, 6]',
      c: '[6]',
      mixed: '[batch, 4, 6]',
    });
  });

  it('refuses inputs that differ off the axis, naming both shapes', () => {
    expect(
      manifestProblems(
        graph(
          [4, 6],
          [
            { op: 'slice', name: 'a', starts: [0], ends: [3], axes: [1] },
            { op: 'concat', inputs: ['input', 'a'], axis: 2 },
          ],
        ),
      ),
    ).toEqual([{ path: 'layers[1]', message: 'concat inputs [batch, 4, 6] and [batch, 3, 6] must match on every axis but 2' }]);
  });

  it('refuses inputs of different ranks or dtypes', () => {
    expect(
      manifestProblems(
        graph(
          [4, 6],
          [
            { op: 'unsqueeze', name: 'a', axes: [-1] },
            { op: 'concat', inputs: ['input', 'a'], axis: 1 },
          ],
        ),
      ),
    ).toEqual([{ path: 'layers[1]', message: 'concat inputs [batch, 4, 6] and [batch, 4, 6, 1] differ in rank' }]);
    expect(
      manifestProblems(
        graph(
          [2],
          [
            { op: 'constant', name: 'ids', shape: [1, 2], value: [1, 2], dtype: 'int64' },
            { op: 'concat', inputs: ['input', 'ids'], axis: 0 },
          ],
        ),
      ),
    ).toEqual([{ path: 'layers[1]', message: 'concat inputs float32 [batch, 2] and int64 [1, 2] differ in dtype' }]);
  });

  it('refuses joining the batch axis with a fixed size', () => {
    expect(
      manifestProblems(
        graph(
          [4, 6],
          [
            { op: 'parameter', name: 'p', shape: [3, 4, 6] },
            { op: 'concat', inputs: ['input', 'p'], axis: 0 },
          ],
        ),
      ),
    ).toEqual([
      { path: 'layers[1]', message: 'concat inputs [batch, 4, 6] and [3, 4, 6] cannot join on axis 0: a batch axis and a fixed size' },
    ]);
  });

  it('refuses an axis out of range', () => {
    expect(manifestProblems(graph([4, 6], [{ op: 'concat', inputs: ['input', 'input'], axis: -4 }]))).toEqual([
      { path: 'layers[0]', message: 'concat axis -4 is out of range for [batch, 4, 6] (axes -3 to 2)' },
    ]);
  });
});
