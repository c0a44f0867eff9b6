/**
 * `linear` in the vectorized ONNX graph: which form each layer takes (one
 * wide product, one batched product, or N 2-D products on constants ONNX
 * Runtime packs once), and the N-product form against the float64 reference.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { InputMode } from '../engines/engine.js';
import { buildEnsembleGraph } from '../engines/onnx/build-ensemble-graph.js';
import { OnnxEngine } from '../engines/onnx/onnx-engine.js';
import type { OnnxGraph } from '../engines/onnx/onnx-model.js';
import { randomMembers, stackFloat32Members } from '../examples/random-members.js';
import { parseManifest } from '../manifest/parse-manifest.js';
import { expectModelMatchesReference, type TestModel } from '../testing/check-engines.js';
import { PER_MEMBER_PRODUCTS_MIN_WEIGHTS } from './linear.js';

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

function graphOf(model: TestModel, members: number, mode: InputMode): OnnxGraph {
  const architecture = parseManifest({ ...model, members });
  return buildEnsembleGraph(stackFloat32Members(architecture, randomMembers(architecture, 1)), mode);
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

  describe('matches the float64 reference in every form', () => {
    const engine = new OnnxEngine({ threads: 2, callerThreadMaxMs: 0 });
    afterAll(() => engine.dispose());

    it.each([
      ['mlp', mlp],
      ['two-axis sample', sequence],
    ])('%s: N in {1, 3}, both input modes, B in {1, 3}, vectorized and loop', (_name, model) =>
      expectModelMatchesReference(engine, model, { members: [1, 3], seeds: { weights: 20, input: 7 } }),
    );
  });
});
