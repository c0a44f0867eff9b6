/**
 * `linear` in the vectorized ONNX graph: which form each layer takes (one
 * wide product, one batched product, N 2-D products on constants ONNX
 * Runtime packs once, or the transposed product at the batches it is built
 * for), and each form against the float64 reference.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { InputMode } from '../engines/engine.js';
import { buildEnsembleGraph, buildEnsembleGraphFor } from '../engines/onnx/build-ensemble-graph.js';
import { OnnxEngine } from '../engines/onnx/onnx-engine.js';
import type { OnnxGraph } from '../engines/onnx/onnx-model.js';
import { referenceForward } from '../engines/reference/reference-forward.js';
import { randomArchitectureInput, randomMembers, stackFloat32Members } from '../examples/random-members.js';
import { parseManifest } from '../manifest/parse-manifest.js';
import { expectClose, expectModelMatchesReference, type TestModel } from '../testing/check-engines.js';
import { PER_MEMBER_PRODUCTS_MIN_WEIGHTS, TRANSPOSED_BATCHES, TRANSPOSED_MIN_WEIGHTS } from './linear.js';

// fc1 holds exactly PER_MEMBER_PRODUCTS_MIN_WEIGHTS weights per member, fc2 and fc3 fewer.
const mlp: TestModel = {
  name: 'linear-forms',
  input: { shape: [256] },
  layers: [
    { op: 'linear', name: 'fc1', in: 256, out: 512 },
    { op: 'relu' },
    { op: 'linear', name: 'fc2', in: 512, out: 8, bias: false },
    { op: 'linear', name: 'fc3', in: 8, out: 3 },
  ],
};

// A sample with two axes: the products run over the last one.
const sequence: TestModel = {
  name: 'linear-sequence',
  input: { shape: [2, 256] },
  layers: [{ op: 'linear', name: 'fc1', in: 256, out: 512, bias: false }, { op: 'tanh' }, { op: 'linear', name: 'fc2', in: 512, out: 5 }],
};

// fc1 narrows and holds exactly TRANSPOSED_MIN_WEIGHTS weights per member, fc2 fewer.
const window: TestModel = {
  name: 'linear-transposed',
  input: { shape: [512] },
  layers: [{ op: 'linear', name: 'fc1', in: 512, out: 128 }, { op: 'relu' }, { op: 'linear', name: 'fc2', in: 128, out: 4 }],
};

function graphOf(model: TestModel, members: number, mode: InputMode, batch = 1): OnnxGraph {
  const architecture = parseManifest({ ...model, members });
  return buildEnsembleGraph(stackFloat32Members(architecture, randomMembers(architecture, 1)), mode, batch);
}

/** The dims of each MatMul's constant operand (either side), in graph order. */
function matMulConstants(graph: OnnxGraph): number[][] {
  const dims = new Map(graph.initializers.map((initializer) => [initializer.name, initializer.dims]));
  return graph.nodes
    .filter((node) => node.opType === 'MatMul')
    .map((node) => [...(dims.get(node.inputs[1] as string) ?? dims.get(node.inputs[0] as string) ?? [])]);
}

/** The rank of each MatMul's constant right operand, in graph order. */
function matMulWeightRanks(graph: OnnxGraph): number[] {
  const dims = new Map(graph.initializers.map((initializer) => [initializer.name, initializer.dims]));
  return graph.nodes.filter((node) => node.opType === 'MatMul').map((node) => dims.get(node.inputs[1] as string)?.length ?? -1);
}

const count = (graph: OnnxGraph, opType: string) => graph.nodes.filter((node) => node.opType === opType).length;

describe('linear in the vectorized ONNX graph', () => {
  it('sets the threshold at 128 Ki weights per member', () => {
    expect(PER_MEMBER_PRODUCTS_MIN_WEIGHTS).toBe(256 * 512);
  });

  it('runs a per-member layer from the threshold up as N 2-D products, smaller ones as one batched product', () => {
    const graph = graphOf(mlp, 4, 'per-member');
    // fc1: 4 products on [256, 512]; fc2, fc3: one MatMul each on [4, in, out]
    expect(matMulWeightRanks(graph)).toEqual([2, 2, 2, 2, 3, 3]);
    expect(count(graph, 'Slice')).toBe(4);
    expect(count(graph, 'Concat')).toBe(1);
  });

  it('keeps one wide product for a shared input, then takes the same rule on the members', () => {
    const graph = graphOf({ ...mlp, layers: [{ op: 'linear', name: 'fc0', in: 256, out: 256 }, ...mlp.layers] }, 4, 'shared');
    // fc0 wide [256, 4*256]; fc1 4 products; fc2, fc3 batched
    expect(matMulWeightRanks(graph)).toEqual([2, 2, 2, 2, 2, 3, 3]);
  });

  it('gives a single member 2-D constants at every size, with no Slice or Concat', () => {
    for (const mode of ['shared', 'per-member'] as const) {
      const graph = graphOf(mlp, 1, mode);
      expect(matMulWeightRanks(graph)).toEqual([2, 2, 2]);
      expect(count(graph, 'Slice') + count(graph, 'Concat')).toBe(0);
    }
  });

  it('sets the transposed form at 64 Ki weights per member, for batches 16 to 127', () => {
    expect(TRANSPOSED_MIN_WEIGHTS).toBe(512 * 128);
    expect(TRANSPOSED_BATCHES).toEqual({ min: 16, max: 127 });
  });

  it('runs a narrowing per-member layer from 64 Ki weights as the transposed product at batches 16 to 127, as one batched product at others', () => {
    for (const batch of [16, 64, 127]) {
      const graph = graphOf(window, 4, 'per-member', batch);
      // fc1: [4, out, in] x the transposed input; fc2 (below 64 Ki) batched on [4, in, out]
      expect(matMulConstants(graph), `B=${batch}`).toEqual([
        [4, 128, 512],
        [4, 128, 4],
      ]);
      expect(count(graph, 'Transpose'), `B=${batch}`).toBe(2);
    }
    for (const batch of [1, 15, 128, 1000]) {
      const graph = graphOf(window, 4, 'per-member', batch);
      expect(matMulConstants(graph), `B=${batch}`).toEqual([
        [4, 512, 128],
        [4, 128, 4],
      ]);
      expect(count(graph, 'Transpose'), `B=${batch}`).toBe(0);
    }
  });

  it('makes a graph depend on the batch only where a layer may take the transposed form', () => {
    const questions = (model: TestModel, members: number, mode: InputMode, batch: number) => {
      const architecture = parseManifest({ ...model, members });
      return buildEnsembleGraphFor(stackFloat32Members(architecture, randomMembers(architecture, 1)), mode, batch).batchQuestions;
    };
    expect(questions(window, 4, 'per-member', 64)).toEqual([{ range: TRANSPOSED_BATCHES, answer: true }]);
    expect(questions(window, 4, 'per-member', 1)).toEqual([{ range: TRANSPOSED_BATCHES, answer: false }]);
    // a shared input's first layer is the wide product; fc2 is below 64 Ki
    expect(questions(window, 4, 'shared', 64)).toEqual([]);
    // from PER_MEMBER_PRODUCTS_MIN_WEIGHTS the N products serve every batch; one member always has its 2-D constant
    expect(questions(mlp, 4, 'per-member', 64)).toEqual([]);
    expect(questions(window, 1, 'per-member', 64)).toEqual([]);
    // a layer that does not narrow keeps the batched product
    const square: TestModel = { ...window, input: { shape: [256] }, layers: [{ op: 'linear', name: 'fc1', in: 256, out: 256 }] };
    expect(questions(square, 4, 'per-member', 64)).toEqual([]);
    expect(matMulConstants(graphOf(square, 4, 'per-member', 64))).toEqual([[4, 256, 256]]);
  });

  describe('matches the float64 reference in every form', () => {
    const engine = new OnnxEngine({ threads: 2, callerThreadMaxMs: 0 });
    afterAll(() => engine.dispose());

    it.each([
      ['mlp', mlp],
      ['two-axis sample', sequence],
    ])('%s: N in {1, 3}, both input modes, B in {1, 3}, vectorized and loop', (_name, model) =>
      expectModelMatchesReference(engine, model, { members: [1, 3], seeds: { weights: 20, input: 7 } }),
    );

    it.each([
      ['shared', 1],
      ['shared', 40],
      ['per-member', 1],
      ['per-member', 40],
    ] as const)('transposed-form model, N=3, %s input, B=%i', async (mode, batch) => {
      const architecture = parseManifest({ ...window, members: 3 });
      const ensemble = stackFloat32Members(architecture, randomMembers(architecture, 21));
      const compiled = await engine.compile(ensemble);
      try {
        const input = randomArchitectureInput(architecture, mode === 'shared' ? [batch] : [3, batch], batch + 5);
        const expected = referenceForward(ensemble, input, mode);
        for (const strategy of ['vectorized', 'loop'] as const) {
          const actual = await compiled.run(input, { mode, strategy });
          expect(actual.shape).toEqual(expected.shape);
          expectClose(actual.data, expected.data, 1e-4, 1e-4, `${mode} input, B=${batch}, ${strategy}`);
        }
      } finally {
        await compiled.dispose();
      }
    });
  });
});
