/**
 * The elementwise ops `clip`, `erf` and `identity`: the float64 erf, the
 * shape rule, the ONNX form, and every engine against the float64 reference.
 */
import { describe, expect, it } from 'vitest';
import { buildEnsembleGraph } from '../engines/onnx/build-ensemble-graph.js';
import { randomMembers, stackFloat32Members } from '../examples/random-members.js';
import { parseManifest } from '../manifest/parse-manifest.js';
import { describeModelsOnEveryEngine, layerProblems, type TestModel } from '../testing/check-engines.js';
import { erf } from './gelu.js';

const models: Record<string, TestModel> = {
  'clip, erf and identity on rows': {
    name: 'elementwise-rows',
    input: { shape: [3, 8] },
    layers: [
      { op: 'erf' },
      { op: 'clip', min: -0.5, max: 0.5 },
      { op: 'linear', name: 'fc1', in: 8, out: 8 },
      { op: 'clip', min: 0, max: 6 }, // nn.ReLU6
      { op: 'identity' },
      { op: 'linear', name: 'fc2', in: 8, out: 6 },
      { op: 'clip', max: 0.2 },
      { op: 'clip', min: -0.1 },
      { op: 'erf' },
    ],
  },
  'clip, erf and identity after a convolution (grouped layout)': {
    name: 'elementwise-grouped',
    input: { shape: [2, 5, 5] },
    layers: [
      { op: 'identity' },
      { op: 'conv2d', name: 'conv', in: 2, out: 3, kernel: 2 },
      { op: 'clip', min: -0.2 },
      { op: 'identity' },
      { op: 'erf' },
    ],
  },
};

describe('the float64 erf of the reference', () => {
  it('matches tabulated values to 1e-12, on both sides of its switch from series to continued fraction', () => {
    const table: [number, number][] = [
      [0, 0],
      [0.1, 0.1124629160182849],
      [0.5, 0.5204998778130465],
      [1, 0.8427007929497149],
      [1.5, 0.96610514647531],
      [2, 0.9953222650189527],
      [2.5, 0.999593047982555],
      [2.9, 0.9999589021219005],
      [3, 0.9999779095030014],
      [3.5, 0.9999992569016276],
      [4, 0.9999999845827421],
      [6, 1],
    ];
    for (const [x, expected] of table) {
      expect(Math.abs(erf(x) - expected), `erf(${x})`).toBeLessThan(1e-12);
      expect(erf(-x), `erf(-${x})`).toBe(-erf(x));
    }
    expect(Math.abs(erf(3 - 1e-12) - erf(3 + 1e-12))).toBeLessThan(1e-12);
  });
});

describe('clip shape rule', () => {
  it('takes either bound alone, or both', () => {
    const architecture = parseManifest({
      name: 'c',
      members: 1,
      input: { shape: [4] },
      layers: [{ op: 'clip', min: 0, max: 6 }, { op: 'clip', min: -1 }, { op: 'clip', max: 1 }, { op: 'erf' }, { op: 'identity' }],
    });
    expect(architecture.outputShape).toEqual([4]);
  });

  it('refuses a clip without bounds, or with min above max, naming the fields', () => {
    expect(layerProblems([4], [{ op: 'clip' }])).toEqual([{ path: 'layers[0]', message: 'clip needs min, max or both' }]);
    expect(layerProblems([4], [{ op: 'clip', min: 6, max: 0 }])).toEqual([
      { path: 'layers[0]', message: 'clip min 6 is greater than max 0' },
    ]);
    expect(layerProblems([4], [{ op: 'clip', min: '0' }]).map((i) => i.path)).toEqual(['layers[0].min']);
    expect(layerProblems([4], [{ op: 'identity', p: 0.5 }]).map((i) => i.path)).toEqual(['layers[0]']);
  });
});

describe('clip in the vectorized ONNX graph', () => {
  it('leaves an omitted bound out of Clip’s inputs', () => {
    const architecture = parseManifest({ ...models['clip, erf and identity on rows'], members: 2 });
    const graph = buildEnsembleGraph(stackFloat32Members(architecture, randomMembers(architecture, 1)), 'per-member');
    const clips = graph.nodes.filter((node) => node.opType === 'Clip').map((node) => node.inputs.map((input) => input !== ''));
    expect(clips).toEqual([
      [true, true, true],
      [true, true, true],
      [true, false, true],
      [true, true],
    ]);
    expect(graph.nodes.filter((node) => node.opType === 'Erf')).toHaveLength(2);
  });
});

describeModelsOnEveryEngine(models, { members: [1, 3] });
