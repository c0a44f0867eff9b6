/**
 * `squeeze` and `unsqueeze`'s shape rules; every engine runs them in
 * `reshape.test.ts` (a squeeze without axes at batch size 1 among them) and
 * `concat.test.ts`.
 */
import { describe, expect, it } from 'vitest';
import { buildEnsembleGraph } from '../engines/onnx/build-ensemble-graph.js';
import { randomMembers, stackFloat32Members } from '../examples/random-members.js';
import type { ManifestInput } from '../manifest/manifest-schema.js';
import { parseManifest } from '../manifest/parse-manifest.js';
import { formatSymbolicShape } from '../tensor/symbolic-shape.js';
import { manifestProblems } from '../testing/check-engines.js';

const graph = (shape: number[], layers: ManifestInput['layers']): ManifestInput => ({ name: 'rule', members: 2, input: { shape }, layers });
const shapes = (manifest: ManifestInput) => parseManifest(manifest).layers.map((layer) => formatSymbolicShape(layer.value.shape));

describe('squeeze shape rule', () => {
  it('drops every unit axis without axes, never the batch', () => {
    expect(shapes(graph([1, 4, 1], [{ op: 'squeeze' }]))).toEqual(['[batch, 4]']);
    expect(shapes(graph([3, 4], [{ op: 'squeeze' }]))).toEqual(['[batch, 3, 4]']);
  });

  it('drops the axes it names, negative ones counted from the end', () => {
    expect(shapes(graph([1, 4, 1], [{ op: 'squeeze', axes: [-1] }]))).toEqual(['[batch, 1, 4]']);
  });

  it('refuses an axis whose size is not 1', () => {
    expect(manifestProblems(graph([4, 1], [{ op: 'squeeze', axes: [1] }]))).toEqual([
      { path: 'layers[0]', message: 'squeeze axis 1 of [batch, 4, 1] has size 4, not 1' },
    ]);
  });

  it('refuses the batch axis, whatever the batch size', () => {
    expect(manifestProblems(graph([4, 1], [{ op: 'squeeze', axes: [0] }]))).toEqual([
      { path: 'layers[0]', message: 'squeeze axis 0 is the batch axis of [batch, 4, 1], which never squeezes' },
    ]);
  });

  it('refuses axes out of range or named twice', () => {
    expect(manifestProblems(graph([4, 1], [{ op: 'squeeze', axes: [3] }]))).toEqual([
      { path: 'layers[0]', message: 'squeeze axis 3 is out of range for [batch, 4, 1] (axes -3 to 2)' },
    ]);
    expect(manifestProblems(graph([4, 1], [{ op: 'squeeze', axes: [2, -1] }]))).toEqual([
      { path: 'layers[0]', message: 'squeeze axes [2, -1] name axis 2 twice' },
    ]);
  });

  it('emits explicit axes past the member axis, so neither N = 1 nor B = 1 is squeezed', () => {
    const architecture = parseManifest({
      name: 'squeeze-onnx',
      members: 1,
      input: { shape: [1, 4] },
      layers: [
        { op: 'squeeze', name: 'rows' },
        { op: 'linear', name: 'fc', in: 4, out: 2 },
      ],
    });
    const onnx = buildEnsembleGraph(stackFloat32Members(architecture, randomMembers(architecture, 1)), 'per-member');
    const squeeze = onnx.nodes.find((node) => node.opType === 'Squeeze');
    const axes = onnx.initializers.find((initializer) => initializer.name === squeeze?.inputs[1]);
    expect(Array.from(axes?.data as BigInt64Array)).toEqual([2n]);
  });
});

describe('unsqueeze shape rule', () => {
  it('inserts unit axes at output positions', () => {
    expect(
      shapes(
        graph(
          [4],
          [
            { op: 'unsqueeze', axes: [0, -1] },
            { op: 'squeeze', axes: [0, 3] },
          ],
        ),
      ),
    ).toEqual(['[1, batch, 4, 1]', '[batch, 4]']);
    expect(shapes(graph([4], [{ op: 'unsqueeze', axes: [2, 1] }]))).toEqual(['[batch, 1, 1, 4]']);
  });

  it('refuses axes beyond the output rank or named twice', () => {
    expect(manifestProblems(graph([4], [{ op: 'unsqueeze', axes: [3] }]))).toEqual([
      { path: 'layers[0]', message: 'unsqueeze axis 3 is out of range for the 3 axes of the output (axes -3 to 2)' },
    ]);
    expect(manifestProblems(graph([4], [{ op: 'unsqueeze', axes: [1, -3] }]))).toEqual([
      { path: 'layers[0]', message: 'unsqueeze axes [1, -3] name axis 1 twice' },
    ]);
  });
});
