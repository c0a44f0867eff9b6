/**
 * Tests for ensembleUncertainty: the entropy decomposition and disagreement on
 * hand-computed cases, shapes, and the shape errors.
 */

import { describe, expect, it } from 'vitest';
import { CombineError } from '../errors/ensemble-error.js';
import type { Tensor } from '../tensor/tensor.js';
import { tensor } from '../tensor/tensor.js';
import { ensembleUncertainty } from './index.js';

const t = (shape: number[], values: number[]): Tensor => tensor(shape, Float32Array.from(values));
const ln2 = Math.log(2);

function expectClose(actual: ArrayLike<number>, expected: number[], digits = 5): void {
  expect(actual.length).toBe(expected.length);
  for (const [k, value] of expected.entries()) expect(actual[k]).toBeCloseTo(value, digits);
}

describe('ensembleUncertainty', () => {
  it('gives zero mutual information and disagreement for identical members', () => {
    // N=3, B=2, C=3; every member: row 0 logits [0, 0, ln2] → p = [1/4, 1/4, 1/2], row 1 [3, 1, 2].
    const member = [0, 0, ln2, 3, 1, 2];
    const u = ensembleUncertainty(t([3, 2, 3], [...member, ...member, ...member]));
    for (const part of [u.predictiveEntropy, u.expectedEntropy, u.mutualInformation, u.disagreement]) {
      expect(part.shape).toEqual([2]);
    }
    const h0 = 1.5 * ln2; // 2 · (1/4)·ln 4 + (1/2)·ln 2
    expect(u.predictiveEntropy.data[0]).toBeCloseTo(h0, 5);
    expectClose(u.expectedEntropy.data, Array.from(u.predictiveEntropy.data));
    expectClose(u.mutualInformation.data, [0, 0]);
    expectClose(u.disagreement.data, [0, 0]);
  });

  it('splits disagreement of certain members into mutual information (probabilities)', () => {
    // N=2, B=1, C=2: member 0 is sure of class 0, member 1 of class 1.
    const u = ensembleUncertainty(t([2, 1, 2], [1, 0, 0, 1]), { outputsAreProbabilities: true });
    expect(u.predictiveEntropy.shape).toEqual([1]);
    expectClose(u.predictiveEntropy.data, [ln2]);
    expectClose(u.expectedEntropy.data, [0]); // 0 · log 0 = 0
    expectClose(u.mutualInformation.data, [ln2]);
    expectClose(u.disagreement.data, [0.5]);
  });

  it('splits disagreement of certain members into mutual information (logits)', () => {
    const u = ensembleUncertainty(t([2, 1, 2], [20, -20, -20, 20]));
    expectClose(u.predictiveEntropy.data, [ln2]);
    expectClose(u.expectedEntropy.data, [0]);
    expectClose(u.mutualInformation.data, [ln2]);
    expectClose(u.disagreement.data, [0.5]);
  });

  it('gives entropy ln C for uniform logits', () => {
    // N=2, B=1, C=4, each member uniform (different constant offsets).
    const u = ensembleUncertainty(t([2, 1, 4], [7, 7, 7, 7, -3, -3, -3, -3]));
    expectClose(u.predictiveEntropy.data, [Math.log(4)]);
    expectClose(u.expectedEntropy.data, [Math.log(4)]);
    expectClose(u.mutualInformation.data, [0]);
    expectClose(u.disagreement.data, [0]);
  });

  it('counts the share of members off the ensemble argmax', () => {
    // N=4, B=1, C=3 probabilities; mean = [0.45, 0.4, 0.15] → class 0; members 2 and 3 vote 1 and 2.
    const probs = [0.9, 0.1, 0, 0.8, 0.2, 0, 0.1, 0.9, 0, 0, 0.4, 0.6];
    const u = ensembleUncertainty(t([4, 1, 3], probs), { outputsAreProbabilities: true });
    expectClose(u.disagreement.data, [0.5]);
  });

  it('returns [B, ...out] for [N, B, H, C] outputs and keeps the decomposition consistent', () => {
    let seed = 12345;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const shape = [5, 3, 4, 6];
    const members = t(
      shape,
      Array.from({ length: 5 * 3 * 4 * 6 }, () => (random() - 0.5) * 8),
    );
    const u = ensembleUncertainty(members);
    expect(u.predictiveEntropy.shape).toEqual([3, 4]);
    expect(u.mutualInformation.shape).toEqual([3, 4]);
    expect(u.disagreement.shape).toEqual([3, 4]);
    for (let k = 0; k < 12; k++) {
      const total = u.predictiveEntropy.data[k] as number;
      const expected = u.expectedEntropy.data[k] as number;
      const mi = u.mutualInformation.data[k] as number;
      expect(mi).toBeGreaterThanOrEqual(0);
      expect(total).toBeLessThanOrEqual(Math.log(6) + 1e-6);
      expect(total).toBeCloseTo(expected + mi, 5);
      const d = u.disagreement.data[k] as number;
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThanOrEqual(1);
    }
  });

  it('refuses outputs without a class axis, naming the shape', () => {
    expect(() => ensembleUncertainty(t([3, 2], [1, 2, 3, 4, 5, 6]))).toThrow(CombineError);
    expect(() => ensembleUncertainty(t([3, 2], [1, 2, 3, 4, 5, 6]))).toThrow(/class axis.*got shape \[3, 2\]/);
    expect(() => ensembleUncertainty(t([0, 2, 3], []))).toThrow(/at least one member/);
  });
});
