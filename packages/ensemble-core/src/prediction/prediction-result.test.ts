/**
 * Tests for predictionResult: which tensors each combine writes, their names,
 * dtypes and shapes, and that their values are the combiners' and the
 * uncertainty measures' own.
 */

import { describe, expect, it } from 'vitest';
import { combineMembers } from '../combine/combine-members.js';
import { ensembleUncertainty } from '../combine/uncertainty.js';
import { CombineError } from '../errors/ensemble-error.js';
import { tensor } from '../tensor/tensor.js';
import { predictionResult } from './prediction-result.js';
import { RESULT_TENSORS, resultTensorNames, UNCERTAINTY_TENSORS } from './result-tensors.js';

// N=3 members, B=2, C=3 (logits).
const members = tensor([3, 2, 3], Float32Array.from([1, 2, 3, 4, 5, 6, 0, 0, 0, 1, 1, 1, 2, 4, -3, 1, 0, 2]));
const logits = { outputsAreProbabilities: false };

const summary = (tensors: ReturnType<typeof predictionResult>) => tensors.map(({ name, dtype, shape }) => ({ name, dtype, shape }));

describe('predictionResult', () => {
  it('writes only the members for combine none', () => {
    expect(summary(predictionResult(members, { combine: 'none', uncertainty: false }, logits))).toEqual([
      { name: 'members', dtype: 'F32', shape: [3, 2, 3] },
    ]);
  });

  it.each(['mean', 'mean-softmax'] as const)('writes an F32 combined [B, C] for %s, with the combiner values', (combine) => {
    const tensors = predictionResult(members, { combine, uncertainty: false }, logits);
    expect(summary(tensors)).toEqual([
      { name: 'members', dtype: 'F32', shape: [3, 2, 3] },
      { name: 'combined', dtype: 'F32', shape: [2, 3] },
    ]);
    const expected = combineMembers(members, { mode: combine });
    if (expected.kind === 'classes' || expected.kind === 'members') throw new Error('expected a values tensor');
    expect(new Float32Array(tensors[1]?.bytes.slice().buffer as ArrayBuffer)).toEqual(expected.tensor.data);
  });

  it('writes the weighted combine with its weights', () => {
    const tensors = predictionResult(members, { combine: 'weighted', weights: [0, 0, 1], uncertainty: false }, logits);
    // All the weight on member 2: the combined prediction is member 2's output.
    expect(Array.from(new Float32Array(tensors[1]?.bytes.slice().buffer as ArrayBuffer))).toEqual([2, 4, -3, 1, 0, 2]);
  });

  it('writes vote classes as I64 [B]', () => {
    const tensors = predictionResult(members, { combine: 'vote', uncertainty: false }, logits);
    expect(summary(tensors)[1]).toEqual({ name: 'combined', dtype: 'I64', shape: [2] });
    // Row 0 votes 2, 0, 1 (a tie: class 0); row 1 votes 2, 0, 2.
    expect(Array.from(new BigInt64Array(tensors[1]?.bytes.slice().buffer as ArrayBuffer))).toEqual([0n, 2n]);
  });

  it('adds one F32 tensor per uncertainty measure, named as the measures are, with their values', () => {
    const tensors = predictionResult(members, { combine: 'mean-softmax', uncertainty: true }, logits);
    const uncertainty = ensembleUncertainty(members);
    expect([...UNCERTAINTY_TENSORS].sort()).toEqual(Object.keys(uncertainty).sort());
    expect(tensors.map((t) => t.name)).toEqual(['members', 'combined', ...UNCERTAINTY_TENSORS]);
    for (const name of UNCERTAINTY_TENSORS) {
      const written = tensors.find((t) => t.name === name);
      expect(written?.shape).toEqual([2]);
      expect(new Float32Array(written?.bytes.slice().buffer as ArrayBuffer)).toEqual(uncertainty[name].data);
    }
  });

  it('treats outputs as probabilities when the model says so', () => {
    const probabilities = tensor([2, 1, 2], Float32Array.from([1, 0, 0, 1]));
    const tensors = predictionResult(probabilities, { combine: 'none', uncertainty: true }, { outputsAreProbabilities: true });
    const entropy = tensors.find((t) => t.name === 'predictiveEntropy');
    expect(new Float32Array(entropy?.bytes.slice().buffer as ArrayBuffer)[0]).toBeCloseTo(Math.log(2), 6);
  });

  it('describes every result tensor the API names, in the order it lists them', () => {
    expect(Object.keys(RESULT_TENSORS)).toEqual([...resultTensorNames]);
  });

  it('names every tensor and dtype as RESULT_TENSORS does, in its order', () => {
    for (const combine of ['none', 'mean', 'mean-softmax', 'vote'] as const) {
      const tensors = predictionResult(members, { combine, uncertainty: true }, logits);
      const names = tensors.map((t) => t.name);
      expect(names).toEqual(resultTensorNames.filter((name) => names.includes(name)));
      for (const { name, dtype } of tensors) {
        expect(RESULT_TENSORS[name as keyof typeof RESULT_TENSORS].dtypes as readonly string[]).toContain(dtype);
      }
    }
  });

  it('refuses options the combiners refuse', () => {
    expect(() => predictionResult(members, { combine: 'weighted', weights: [0, 0, 0], uncertainty: false }, logits)).toThrow(CombineError);
    expect(() => predictionResult(members, { combine: 'mean', weights: [1, 1, 1], uncertainty: false }, logits)).toThrow(CombineError);
  });
});
