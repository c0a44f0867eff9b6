/**
 * `reducemean`'s shape rule and its ONNX form (opset 17: axes an
 * attribute); every engine runs it in `reshape.test.ts` and `concat.test.ts`.
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

describe('reducemean shape rule', () => {
  it('keeps reduced axes as unit axes by default and drops them without keepdims', () => {
    expect(shapes(graph([4, 6], [{ op: 'reducemean', axes: [-1] }]))).toEqual(['[batch, 4, 1]']);
    expect(shapes(graph([4, 6], [{ op: 'reducemean', axes: [2, 1], keepdims: false }]))).toEqual(['[batch]']);
  });

  it('reduces a value without a batch over every axis when axes are omitted', () => {
    expect(
      shapes(
        graph(
          [4],
          [
            { op: 'parameter', name: 'p', shape: [3, 4] },
            { op: 'reducemean', name: 'm' },
            { op: 'add', inputs: ['input', 'm'] },
          ],
        ),
      ),
    ).toEqual(['[3, 4]', '[1, 1]', '[batch, 4]']);
  });

  it('refuses the batch axis', () => {
    expect(manifestProblems(graph([4, 6], [{ op: 'reducemean', axes: [0] }]))).toEqual([
      {
        path: 'layers[0]',
        message: 'reducemean over axis 0 of [batch, 4, 6] would average over the batch axis; each sample must stay apart',
      },
    ]);
  });

  it('refuses the batch axis folded with another', () => {
    expect(
      manifestProblems(
        graph(
          [4, 6],
          [
            { op: 'reshape', shape: [-1, 6] },
            { op: 'reducemean', axes: [0] },
          ],
        ),
      ),
    ).toEqual([
      {
        path: 'layers[1]',
        message: 'reducemean over axis 0 of [4*batch, 6] would average over the batch axis; each sample must stay apart',
      },
    ]);
  });

  it('refuses omitted axes on a value with a batch', () => {
    expect(manifestProblems(graph([4], [{ op: 'reducemean' }]))).toEqual([
      {
        path: 'layers[0]',
        message:
          'reducemean without axes averages over every axis of [batch, 4], the batch axis 0 among them; each sample must stay apart: name the axes',
      },
    ]);
  });

  it('refuses int64 values', () => {
    expect(
      manifestProblems(
        graph(
          [2],
          [
            { op: 'constant', name: 'ids', shape: [2], value: [1, 2], dtype: 'int64' },
            { op: 'reducemean', inputs: ['ids'] },
          ],
        ),
      ),
    ).toEqual([{ path: 'layers[1]', message: 'reducemean takes a float32 input' }]);
  });

  it('emits ReduceMean with axes as an attribute, shifted past the member axis', () => {
    const architecture = parseManifest(graph([4, 6], [{ op: 'reducemean', axes: [-1], keepdims: false }]));
    const onnx = buildEnsembleGraph(stackFloat32Members(architecture, randomMembers(architecture, 1)), 'per-member');
    const node = onnx.nodes.find((candidate) => candidate.opType === 'ReduceMean');
    expect(node?.inputs).toHaveLength(1);
    expect(node?.attributes).toEqual({ axes: { kind: 'ints', value: [3] }, keepdims: { kind: 'int', value: 0 } });
  });
});
