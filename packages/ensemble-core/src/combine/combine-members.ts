/**
 * Combining the outputs of a deep ensemble's members into one prediction.
 *
 * Member outputs arrive stacked as one tensor `[N, B, ...out]` (row-major),
 * member axis first; for classifiers the last axis is the class axis. Sums are
 * accumulated in float64 and rounded to float32 once at the end.
 */

import { type CombineMode, combineModes } from '@ensembles/protocol';
import { CombineError } from '../errors/ensemble-error.js';
import type { Tensor } from '../tensor/tensor.js';
import { argmaxRow, classLayout, memberLayout, probabilitiesRow } from './member-layout.js';

// The combine modes are the API's vocabulary (`@ensembles/protocol`, zod only): one home for every face.
export { type CombineMode, combineModes } from '@ensembles/protocol';

export interface CombineOptions {
  mode: CombineMode;
  /** Member weights for 'weighted': one finite, non-negative number per member, not all zero; normalized to sum 1. */
  weights?: readonly number[];
  /**
   * True when member outputs are already probabilities (the model ends in
   * softmax): 'mean-softmax' then averages them as they are.
   * @defaultValue false
   */
  outputsAreProbabilities?: boolean;
}

/** Integer class indices, row-major. */
export interface ClassIndices {
  readonly shape: readonly number[];
  readonly data: Int32Array;
}

export type CombinedOutput =
  /** 'none': the input unchanged, `[N, B, ...out]`. */
  | { kind: 'members'; tensor: Tensor }
  /** 'mean' / 'weighted': `[B, ...out]`. */
  | { kind: 'values'; tensor: Tensor }
  /** 'mean-softmax': mean over members of softmax(last axis), `[B, ...out]`. */
  | { kind: 'probabilities'; tensor: Tensor }
  /** 'vote': majority class per sample, `[B, ...out without last axis]`. */
  | { kind: 'classes'; classes: ClassIndices };

/**
 * Combines stacked member outputs `[N, B, ...out]` according to `options.mode`:
 *
 * - `'none'`: the members tensor, unchanged.
 * - `'mean'`: plain average over the member axis → `[B, ...out]`.
 * - `'weighted'`: `Σ wᵢ/Σw · memberᵢ` with `options.weights` (one per member) → `[B, ...out]`.
 * - `'mean-softmax'`: average of each member's softmax over the last axis (or of
 *   the outputs as they are, with `outputsAreProbabilities`) → `[B, ...out]`.
 * - `'vote'`: each member votes for its argmax over the last axis (first index on
 *   ties); the class with most votes wins, ties going to the lowest class
 *   index → `[B, ...out without last axis]`.
 *
 * @throws CombineError for an unknown mode, bad weights (missing, wrong count,
 *   negative, non-finite, all zero, or given to a mode other than `'weighted'`),
 *   or a members tensor of the wrong rank (< 2; < 3 for `'vote'` and
 *   `'mean-softmax'`), without members, or without classes.
 *
 * @example
 * ```ts
 * // 2 members, batch of 1, 3 classes
 * const members = tensor([2, 1, 3], new Float32Array([0.2, 0.5, 0.3, 0.6, 0.1, 0.3]));
 * combineMembers(members, { mode: 'mean' });
 * // → { kind: 'values', tensor: { shape: [1, 3], data: [0.4, 0.3, 0.3] } }
 * combineMembers(members, { mode: 'weighted', weights: [3, 1] });
 * // → { kind: 'values', tensor: { shape: [1, 3], data: [0.3, 0.4, 0.3] } }
 * combineMembers(members, { mode: 'vote' });
 * // → { kind: 'classes', classes: { shape: [1], data: [0] } } (a 1–1 tie goes to class 0)
 * ```
 */
export function combineMembers(members: Tensor, options: CombineOptions): CombinedOutput {
  const mode = options.mode;
  if (!(combineModes as readonly string[]).includes(mode)) {
    throw new CombineError(`unknown combine mode '${String(mode)}' (expected one of ${combineModes.join(', ')})`);
  }
  const what = `${mode} combine`;
  checkCombineWeights(mode, options.weights, members.shape[0] ?? 0);
  switch (mode) {
    case 'none':
      memberLayout(members, what);
      return { kind: 'members', tensor: members };
    case 'mean': {
      const { members: n } = memberLayout(members, what);
      return { kind: 'values', tensor: weightedSum(members, new Float64Array(n).fill(1), n) };
    }
    case 'weighted': {
      const { members: n } = memberLayout(members, what);
      return { kind: 'values', tensor: weightedSum(members, normalizedWeights(options.weights as readonly number[], n), 1) };
    }
    case 'mean-softmax':
      return { kind: 'probabilities', tensor: meanProbabilities(members, options.outputsAreProbabilities ?? false) };
    case 'vote':
      return { kind: 'classes', classes: vote(members) };
  }
}

/**
 * The one check of combine weights, for a request before it is queued
 * (`checkPrediction`) and for `combineMembers` itself: `weighted` needs one
 * finite, non-negative weight per member, not all zero; no other mode takes
 * weights.
 *
 * @throws CombineError naming the problem and the fix.
 */
export function checkCombineWeights(mode: CombineMode, weights: readonly number[] | undefined, members: number): void {
  if (mode !== 'weighted') {
    if (weights === undefined) return;
    throw new CombineError(`weights are only used by the weighted combine, not by '${mode}'; drop them or use combine 'weighted'`);
  }
  const count = weights?.length ?? 0;
  if (weights === undefined || count !== members) {
    throw new CombineError(
      `weighted combine needs ${members} weights (one per member), got ${weights === undefined ? 'none' : count}; pass one weight per member`,
    );
  }
  let positive = false;
  for (let i = 0; i < count; i++) {
    const weight = weights[i];
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) {
      throw new CombineError(`weighted combine weights must be finite and non-negative, got weights[${i}] = ${weight}`);
    }
    if (weight > 0) positive = true;
  }
  if (!positive) throw new CombineError('weighted combine weights are all zero; give at least one member a positive weight');
}

/** Scales checked member weights to sum 1. */
function normalizedWeights(weights: readonly number[], n: number): Float64Array {
  let max = 0;
  for (let i = 0; i < n; i++) max = Math.max(max, weights[i] as number);
  // Scale by the largest weight first so that the sum cannot overflow.
  const normalized = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const w = (weights[i] as number) / max;
    normalized[i] = w;
    sum += w;
  }
  for (let i = 0; i < n; i++) normalized[i] = (normalized[i] as number) / sum;
  return normalized;
}

/** `(Σ wᵢ · memberᵢ) / divisor` over the member axis: `[N, B, ...out]` → `[B, ...out]`. */
function weightedSum(members: Tensor, weights: Float64Array, divisor: number): Tensor {
  const { data, shape } = members;
  const n = weights.length;
  const perMember = data.length / n;
  const acc = new Float64Array(perMember);
  for (let i = 0; i < n; i++) {
    const w = weights[i] as number;
    if (w === 0) continue;
    const base = i * perMember;
    for (let k = 0; k < perMember; k++) acc[k] = (acc[k] as number) + w * (data[base + k] as number);
  }
  const out = new Float32Array(perMember);
  for (let k = 0; k < perMember; k++) out[k] = (acc[k] as number) / divisor;
  return { shape: shape.slice(1), data: out };
}

/** Mean over members of each member's probabilities: `[N, B, ..., C]` → `[B, ..., C]`. */
function meanProbabilities(members: Tensor, outputsAreProbabilities: boolean): Tensor {
  const { members: n, perMember, classes, rows } = classLayout(members, 'mean-softmax combine');
  const { data, shape } = members;
  const acc = new Float64Array(perMember);
  const probs = new Float64Array(classes);
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < rows; r++) {
      const offset = r * classes;
      probabilitiesRow(data, i * perMember + offset, classes, outputsAreProbabilities, probs);
      for (let j = 0; j < classes; j++) acc[offset + j] = (acc[offset + j] as number) + (probs[j] as number);
    }
  }
  const out = new Float32Array(perMember);
  for (let k = 0; k < perMember; k++) out[k] = (acc[k] as number) / n;
  return { shape: shape.slice(1), data: out };
}

/** Majority vote of the members' argmax classes: `[N, B, ..., C]` → `[B, ...]`. */
function vote(members: Tensor): ClassIndices {
  const { members: n, perMember, classes, rows, rowShape } = classLayout(members, 'vote combine');
  const { data } = members;
  const result = new Int32Array(rows);
  const counts = new Int32Array(classes);
  for (let r = 0; r < rows; r++) {
    counts.fill(0);
    for (let i = 0; i < n; i++) {
      const c = argmaxRow(data, i * perMember + r * classes, classes);
      counts[c] = (counts[c] as number) + 1;
    }
    result[r] = argmaxRow(counts, 0, classes);
  }
  return { shape: rowShape, data: result };
}
