import { describe, expect, it } from 'vitest';
import { buildEnsembleGraph } from '../engines/onnx/build-ensemble-graph.js';
import { randomMembers, stackFloat32Members } from '../examples/random-members.js';
import type { ManifestInput } from '../manifest/manifest-schema.js';
import { parseManifest } from '../manifest/parse-manifest.js';
import { describeOnEveryEngine, manifestProblems } from '../testing/check-engines.js';

// A residual block written as a graph: a per-member parameter added with broadcasting,
// a literal scale, a residual addition, and every arithmetic op.
describeOnEveryEngine('arithmetic', {
  name: 'arithmetic',
  members: 3,
  input: { shape: [4, 6] },
  layers: [
    { op: 'parameter', name: 'offset', shape: [1, 6] },
    { op: 'constant', name: 'half', shape: [], value: [0.5] },
    { op: 'constant', name: 'two', shape: [1], value: [2] },
    { op: 'add', name: 'shifted', inputs: ['input', 'offset'] },
    { op: 'linear', name: 'fc', in: 6, out: 6 },
    { op: 'mul', name: 'scaled', inputs: ['fc', 'half'] },
    { op: 'sub', name: 'diff', inputs: ['scaled', 'input'] },
    { op: 'pow', name: 'squared', inputs: ['diff', 'two'] },
    { op: 'add', name: 'one_more', inputs: ['squared', 'two'] },
    { op: 'div', name: 'ratio', inputs: ['diff', 'one_more'] },
    { op: 'add', name: 'residual', inputs: ['ratio', 'shifted'] },
  ],
});

describe('arithmetic shape rules', () => {
  it('refuses shapes that do not broadcast, naming both', () => {
    const problems = manifestProblems({
      name: 'bad',
      members: 2,
      input: { shape: [4, 6] },
      layers: [
        { op: 'parameter', name: 'p', shape: [5] },
        { op: 'add', name: 'sum', inputs: ['input', 'p'] },
      ],
    });
    expect(problems).toEqual([{ path: 'layers[1]', message: 'add shapes [batch, 4, 6] and [5] do not broadcast' }]);
  });

  it('refuses an input that names no earlier value', () => {
    expect(() =>
      parseManifest({ name: 'bad', members: 2, input: { shape: [3] }, layers: [{ op: 'add', name: 'sum', inputs: ['input', 'later'] }] }),
    ).toThrow(/"later" is not the input or the name of an earlier layer/);
  });
});

// A residual addition between convolutions, as ResNets have: on ONNX Runtime
// the member-stacked channels of the grouped convolutions stay as they are
// through the addition.
const residualConvs: ManifestInput = {
  name: 'residual-convs',
  members: 3,
  input: { shape: [2, 5, 5] },
  layers: [
    { op: 'conv2d', name: 'c1', in: 2, out: 4, kernel: 3, padding: 1 },
    { op: 'conv2d', name: 'c2', in: 4, out: 4, kernel: 3, padding: 1 },
    { op: 'add', name: 'sum', inputs: ['c1', 'c2'] },
    { op: 'relu' },
    { op: 'conv2d', name: 'c3', in: 4, out: 2, kernel: 1 },
  ],
};
describeOnEveryEngine('a residual addition between convolutions', residualConvs);

describe('elementwise arithmetic between convolutions', () => {
  it('keeps the grouped layout: no transposes but into and out of it', () => {
    const architecture = parseManifest(residualConvs);
    const ensemble = stackFloat32Members(architecture, randomMembers(architecture, 1));
    const graph = buildEnsembleGraph(ensemble, 'per-member');
    expect(graph.nodes.filter((node) => node.opType === 'Transpose')).toHaveLength(2);
  });
});
