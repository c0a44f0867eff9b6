/**
 * Tests for combineMembers: each mode on small hand-computed cases, and the
 * option / shape errors.
 */

import { describe, expect, it } from 'vitest';
import { CombineError } from '../errors/ensemble-error.js';
import type { Tensor } from '../tensor/tensor.js';
import { tensor } from '../tensor/tensor.js';
import type { CombinedOutput, CombineMode, CombineOptions } from './index.js';
import { combineMembers } from './index.js';

const t = (shape: number[], values: number[]): Tensor => tensor(shape, Float32Array.from(values));

function expectClose(actual: ArrayLike<number>, expected: number[], digits = 5): void {
  expect(actual.length).toBe(expected.length);
  for (const [k, value] of expected.entries()) expect(actual[k]).toBeCloseTo(value, digits);
}

function valuesOf(out: CombinedOutput, kind: 'values' | 'probabilities'): Tensor {
  if (out.kind !== kind) throw new Error(`expected kind ${kind}, got ${out.kind}`);
  return out.tensor;
}

function classesOf(out: CombinedOutput): { shape: readonly number[]; data: number[] } {
  if (out.kind !== 'classes') throw new Error(`expected kind classes, got ${out.kind}`);
  return { shape: out.classes.shape, data: Array.from(out.classes.data) };
}

/** Logit rows for one member voting for `votes[b]` in each row (C classes). */
const votingFor = (votes: number[], classes: number): number[] =>
  votes.flatMap((c) => Array.from({ length: classes }, (_, j) => (j === c ? 1 : 0)));

function expectCombineError(members: Tensor, options: CombineOptions, message: string | RegExp): void {
  let caught: unknown;
  try {
    combineMembers(members, options);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(CombineError);
  expect((caught as CombineError).code).toBe('COMBINE_INVALID');
  expect((caught as CombineError).message).toMatch(message);
}

// N=3 members, B=2, C=3.
const threeMembers = t(
  [3, 2, 3],
  [
    ...[1, 2, 3, 4, 5, 6], // member 0
    ...[0, 0, 0, 1, 1, 1], // member 1
    ...[2, 4, -3, 1, 0, 2], // member 2
  ],
);

describe('combineMembers: none', () => {
  it('returns the members tensor unchanged', () => {
    const out = combineMembers(threeMembers, { mode: 'none' });
    expect(out.kind).toBe('members');
    if (out.kind === 'members') expect(out.tensor).toBe(threeMembers);
  });
});

describe('combineMembers: mean', () => {
  it('averages over the member axis (N=3, B=2, C=3)', () => {
    const out = valuesOf(combineMembers(threeMembers, { mode: 'mean' }), 'values');
    expect(out.shape).toEqual([2, 3]);
    expectClose(out.data, [1, 2, 0, 2, 2, 3]);
  });

  it('works on rank-2 [N, B] outputs (one value per sample)', () => {
    const out = valuesOf(combineMembers(t([3, 2], [1, 2, 3, 4, 5, 6]), { mode: 'mean' }), 'values');
    expect(out.shape).toEqual([2]);
    expectClose(out.data, [3, 4]);
  });

  it('keeps extra output axes', () => {
    const members = t([2, 1, 2, 2], [1, 2, 3, 4, 3, 4, 5, 6]);
    const out = valuesOf(combineMembers(members, { mode: 'mean' }), 'values');
    expect(out.shape).toEqual([1, 2, 2]);
    expectClose(out.data, [2, 3, 4, 5]);
  });
});

describe('combineMembers: weighted', () => {
  const two = t([2, 1, 2], [1, 2, 5, 6]);

  it('normalizes weights to sum 1', () => {
    const out = valuesOf(combineMembers(two, { mode: 'weighted', weights: [1, 3] }), 'values');
    expect(out.shape).toEqual([1, 2]);
    expectClose(out.data, [4, 5]); // 0.25·[1,2] + 0.75·[5,6]
    const scaled = valuesOf(combineMembers(two, { mode: 'weighted', weights: [20, 60] }), 'values');
    expectClose(scaled.data, [4, 5]);
  });

  it('equals the mean for equal weights and selects a member for one-hot weights', () => {
    const equal = valuesOf(combineMembers(threeMembers, { mode: 'weighted', weights: [2, 2, 2] }), 'values');
    expectClose(equal.data, [1, 2, 0, 2, 2, 3]);
    const onlyLast = valuesOf(combineMembers(threeMembers, { mode: 'weighted', weights: [0, 0, 5] }), 'values');
    expect(onlyLast.shape).toEqual([2, 3]);
    expectClose(onlyLast.data, [2, 4, -3, 1, 0, 2]);
  });

  it('does not overflow with huge weights', () => {
    const out = valuesOf(combineMembers(two, { mode: 'weighted', weights: [1e308, 1e308] }), 'values');
    expectClose(out.data, [3, 4]);
  });
});

describe('combineMembers: mean-softmax', () => {
  const ln2 = Math.log(2);
  const ln3 = Math.log(3);
  // B=2, C=3. Member 0 row 0: softmax [0, 0, ln2] = [1, 1, 2]/4; member 1 row 0: softmax [ln3, 0, 0] = [3, 1, 1]/5.
  // Row 1: both members uniform (shifted by 5 and 0) → 1/3 each.
  const members = t([2, 2, 3], [0, 0, ln2, 5, 5, 5, ln3, 0, 0, 0, 0, 0]);

  it('averages per-member softmaxes over the last axis', () => {
    const out = valuesOf(combineMembers(members, { mode: 'mean-softmax' }), 'probabilities');
    expect(out.shape).toEqual([2, 3]);
    expectClose(out.data, [(0.25 + 0.6) / 2, (0.25 + 0.2) / 2, (0.5 + 0.2) / 2, 1 / 3, 1 / 3, 1 / 3]);
  });

  it('is stable for large logits (max subtracted)', () => {
    const shifted = t([2, 1, 3], [1000, 1000, 1000 + ln2, -1000 + ln3, -1000, -1000]);
    const out = valuesOf(combineMembers(shifted, { mode: 'mean-softmax' }), 'probabilities');
    expect(out.shape).toEqual([1, 3]);
    expectClose(out.data, [0.425, 0.225, 0.35], 4);
  });

  it('averages probabilities as they are with outputsAreProbabilities', () => {
    const probs = t([2, 1, 3], [0.2, 0.5, 0.3, 0.6, 0.1, 0.3]);
    const asIs = valuesOf(combineMembers(probs, { mode: 'mean-softmax', outputsAreProbabilities: true }), 'probabilities');
    expect(asIs.shape).toEqual([1, 3]);
    expectClose(asIs.data, [0.4, 0.3, 0.3]);
    // Without the flag the probabilities would be treated as logits and softmaxed again.
    const softmaxed = valuesOf(combineMembers(probs, { mode: 'mean-softmax' }), 'probabilities');
    expect(softmaxed.data[0]).not.toBeCloseTo(0.4, 3);
  });
});

describe('combineMembers: vote', () => {
  it('takes the majority class per sample', () => {
    // N=3, B=2, C=3: votes [2,2,0] → 2 and [1,0,1] → 1.
    const members = t([3, 2, 3], [...votingFor([2, 1], 3), ...votingFor([2, 0], 3), ...votingFor([0, 1], 3)]);
    const out = classesOf(combineMembers(members, { mode: 'vote' }));
    expect(out.shape).toEqual([2]);
    expect(out.data).toEqual([2, 1]);
  });

  it('breaks ties between classes towards the lowest index', () => {
    const twoWay = t([2, 1, 3], [0, 1, 5, 9, 1, 1]); // votes [2, 0] → 0
    expect(classesOf(combineMembers(twoWay, { mode: 'vote' }))).toEqual({ shape: [1], data: [0] });
    const members = [1, 1, 2, 2, 0].flatMap((c) => votingFor([c], 3)); // votes [1,1,2,2,0] → 1
    expect(classesOf(combineMembers(t([5, 1, 3], members), { mode: 'vote' }))).toEqual({ shape: [1], data: [1] });
  });

  it("takes a member's first maximal class on ties within the member", () => {
    // Member 0 has [1, 3, 3] → 1; member 1 [4, 4, 0] → 0; member 2 [2, 7, 7] → 1. Majority 1.
    const members = t([3, 1, 3], [1, 3, 3, 4, 4, 0, 2, 7, 7]);
    expect(classesOf(combineMembers(members, { mode: 'vote' }))).toEqual({ shape: [1], data: [1] });
  });

  it('votes per position on [N, B, H, C] outputs', () => {
    // N=3, B=2, H=2, C=2; rows in (b, h) order.
    const members = t([3, 2, 2, 2], [...votingFor([0, 1, 1, 0], 2), ...votingFor([0, 1, 0, 1], 2), ...votingFor([1, 0, 1, 1], 2)]);
    const out = classesOf(combineMembers(members, { mode: 'vote' }));
    expect(out.shape).toEqual([2, 2]);
    expect(out.data).toEqual([0, 1, 1, 1]);
  });
});

describe('combineMembers: errors', () => {
  const rank2 = t([3, 2], [1, 2, 3, 4, 5, 6]);

  it('refuses an unknown mode', () => {
    expectCombineError(threeMembers, { mode: 'median' as CombineMode }, /unknown combine mode 'median'/);
  });

  it('refuses member outputs of rank < 2, naming the shape', () => {
    expectCombineError(t([3], [1, 2, 3]), { mode: 'mean' }, /rank >= 2.*got shape \[3\]/);
    expectCombineError(t([3], [1, 2, 3]), { mode: 'none' }, /got shape \[3\]/);
  });

  it('refuses vote and mean-softmax without a class axis, naming the shape', () => {
    expectCombineError(rank2, { mode: 'vote' }, /vote combine needs a class axis.*got shape \[3, 2\]/);
    expectCombineError(rank2, { mode: 'mean-softmax' }, /mean-softmax combine needs a class axis.*got shape \[3, 2\]/);
  });

  it('refuses zero members, zero classes and data that does not match the shape', () => {
    expectCombineError(t([0, 2, 3], []), { mode: 'mean' }, /at least one member.*\[0, 2, 3\]/);
    expectCombineError(t([2, 1, 0], []), { mode: 'vote' }, /at least one class.*\[2, 1, 0\]/);
    const bad: Tensor = { shape: [2, 2], data: new Float32Array(3) };
    expectCombineError(bad, { mode: 'mean' }, /shape \[2, 2\] need 4 values, got 3/);
  });

  it('refuses weighted without weights or with the wrong count', () => {
    const ten = t(
      [10, 1],
      Array.from({ length: 10 }, (_, i) => i),
    );
    expectCombineError(ten, { mode: 'weighted' }, 'weighted combine needs 10 weights (one per member), got none');
    expectCombineError(ten, { mode: 'weighted', weights: [1, 2, 3] }, 'weighted combine needs 10 weights (one per member), got 3');
  });

  it('refuses negative, non-finite and all-zero weights', () => {
    expectCombineError(threeMembers, { mode: 'weighted', weights: [1, -1, 1] }, /non-negative.*weights\[1\] = -1/);
    expectCombineError(threeMembers, { mode: 'weighted', weights: [1, 1, Number.NaN] }, /finite.*weights\[2\] = NaN/);
    expectCombineError(threeMembers, { mode: 'weighted', weights: [Number.POSITIVE_INFINITY, 1, 1] }, /finite.*weights\[0\] = Infinity/);
    expectCombineError(threeMembers, { mode: 'weighted', weights: [0, 0, 0] }, /weights are all zero/);
  });

  it('refuses weights for any mode other than weighted', () => {
    for (const mode of ['none', 'mean', 'mean-softmax', 'vote'] as const) {
      expectCombineError(threeMembers, { mode, weights: [1, 1, 1] }, `weights are only used by the weighted combine, not by '${mode}'`);
    }
  });
});
