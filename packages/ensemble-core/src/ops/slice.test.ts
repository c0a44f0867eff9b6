/**
 * `slice` with ONNX's bounds: negative starts and ends, bounds past the
 * axis, INT64 max/min, steps longer than the axis and negative steps, the
 * batch axis taken whole; on every engine against the float64 reference.
 * Then its shape rule.
 */
import { describe, expect, it } from 'vitest';
import type { ManifestInput } from '../manifest/manifest-schema.js';
import { parseManifest } from '../manifest/parse-manifest.js';
import { formatSymbolicShape } from '../tensor/symbolic-shape.js';
import { describeOnEveryEngine, manifestProblems } from '../testing/check-engines.js';

/** INT64 max and min as JSON numbers (9223372036854775807 parses to 2^63). */
const INT64_MAX = 2 ** 63;
const INT64_MIN = -(2 ** 63);

const slices: ManifestInput = {
  name: 'slice-bounds',
  members: 4,
  input: { shape: [5, 7] },
  layers: [
    { op: 'linear', name: 'fc', in: 7, out: 7 }, // [batch, 5, 7]
    { op: 'slice', name: 'tail', starts: [0, -3], ends: [INT64_MAX, 100], axes: [0, 2] }, // [batch, 5, 3]
    { op: 'slice', name: 'back2', starts: [10], ends: [-10], axes: [1], steps: [-2] }, // rows 4, 2, 0: [batch, 3, 3]
    { op: 'reshape', name: 'back2_flat', shape: [0, -1] }, // [batch, 9]
    { op: 'slice', name: 'sparse', inputs: ['input'], starts: [-100, 1], ends: [INT64_MAX, -1], axes: [-1, 1], steps: [4, 2] }, // [batch, 2, 2]
    { op: 'reshape', name: 'sparse_flat', shape: [0, -1] }, // [batch, 4]
    { op: 'slice', name: 'far', inputs: ['fc'], starts: [3], ends: [-100], axes: [2], steps: [-9] }, // [batch, 5, 1]
    { op: 'squeeze', name: 'far_flat', axes: [2] }, // [batch, 5]
    { op: 'slice', name: 'whole', inputs: ['input'], starts: [INT64_MIN, 1], ends: [INT64_MAX, INT64_MAX], axes: [0, 1] }, // [batch, 4, 7]
    { op: 'reshape', name: 'whole_flat', shape: [-1, 28] }, // [batch, 28]
    { op: 'concat', name: 'joined', inputs: ['back2_flat', 'sparse_flat', 'far_flat', 'whole_flat'], axis: 1 }, // [batch, 46]
    { op: 'linear', name: 'out', in: 46, out: 4 },
  ],
};

describeOnEveryEngine('slice bounds', slices);

const graph = (shape: number[], layers: ManifestInput['layers']): ManifestInput => ({ name: 'rule', members: 2, input: { shape }, layers });

describe('slice shape rule', () => {
  it('clamps bounds as ONNX does', () => {
    const shapes = Object.fromEntries(parseManifest(slices).layers.map((layer) => [layer.id, formatSymbolicShape(layer.value.shape)]));
    expect(shapes).toMatchObject({
      tail: '[batch, 5, 3]',
      back2: '[batch, 3, 3]',
      sparse: '[batch, 2, 2]',
      far: '[batch, 5, 1]',
      whole: '[batch, 4, 7]',
      joined: '[batch, 46]',
    });
  });

  it('reads INT64 max and min from JSON text', () => {
    const text = `{"name": "json", "members": 2, "input": {"shape": [5, 7]}, "layers": [
      {"op": "slice", "starts": [0, 9223372036854775807], "ends": [9223372036854775807, -9223372036854775808], "axes": [0, 2], "steps": [1, -1]}
    ]}`;
    const [layer] = parseManifest(JSON.parse(text)).layers;
    expect(formatSymbolicShape(layer?.value.shape ?? [])).toBe('[batch, 5, 7]');
  });

  it('refuses a slice of the batch axis that does not take it whole', () => {
    const moved: ManifestInput['layers'][number] = { op: 'transpose', name: 'sbe', perm: [1, 0, 2] };
    expect(manifestProblems(graph([6, 24], [moved, { op: 'slice', starts: [0], ends: [2], axes: [1] }]))).toEqual([
      {
        path: 'layers[1]',
        message:
          'slice axis 1 is the batch axis of [6, batch, 24], which is only taken whole (starts 0, ends 9223372036854775807, steps 1); got starts 0, ends 2, steps 1',
      },
    ]);
    expect(manifestProblems(graph([6, 24], [moved, { op: 'slice', starts: [-1], ends: [INT64_MIN], axes: [-2], steps: [-1] }]))).toEqual([
      {
        path: 'layers[1]',
        message: `slice axis 1 is the batch axis of [6, batch, 24], which is only taken whole (starts 0, ends 9223372036854775807, steps 1); got starts -1, ends ${INT64_MIN}, steps -1`,
      },
    ]);
  });

  it('refuses fields of different lengths, repeated axes, a zero step and fractional bounds', () => {
    expect(manifestProblems(graph([4, 6], [{ op: 'slice', starts: [0], ends: [1, 2] }]))).toEqual([
      { path: 'layers[0]', message: 'slice ends holds 2 values but starts holds 1' },
    ]);
    expect(manifestProblems(graph([4, 6], [{ op: 'slice', starts: [0, 0], ends: [1, 2], axes: [1, -2] }]))).toEqual([
      { path: 'layers[0]', message: 'slice axes [1, -2] name axis 1 twice' },
    ]);
    expect(manifestProblems(graph([4, 6], [{ op: 'slice', starts: [0], ends: [1], steps: [0] }]))).toEqual([
      { path: 'layers[0].steps[0]', message: 'must be a nonzero integer within int64' },
    ]);
    expect(manifestProblems(graph([4, 6], [{ op: 'slice', starts: [0.5], ends: [1] }]))).toEqual([
      { path: 'layers[0].starts[0]', message: 'must be an integer within int64 (INT64 max/min mean to the end)' },
    ]);
  });
});
