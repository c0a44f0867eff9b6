/**
 * Internal helpers shared by the combiners: checking the `[N, B, ...out]`
 * layout of stacked member outputs, and per-row argmax / softmax kernels that
 * work in place on flat buffers (no per-element objects).
 */

import { CombineError } from '../errors/ensemble-error.js';
import type { Tensor } from '../tensor/tensor.js';
import { formatShape, sizeOf } from '../tensor/tensor.js';

/** Sizes of a member-outputs tensor `[N, B, ...out]`, flattened. */
export interface MemberLayout {
  /** Number of members, `N`. */
  members: number;
  /** Values per member: `B * prod(out)`. */
  perMember: number;
}

/** Sizes of a member-outputs tensor with a class axis `[N, B, ..., C]`. */
export interface ClassLayout extends MemberLayout {
  /** Size of the last (class) axis, `C`. */
  classes: number;
  /** Class rows per member: `perMember / C`. */
  rows: number;
  /** Shape of one per-row result: `[B, ...out without last axis]`. */
  rowShape: number[];
}

/**
 * Checks that `members` is a consistent tensor of rank >= 2 with at least one
 * member. `what` names the caller in error messages (e.g. `mean combine`).
 */
export function memberLayout(members: Tensor, what: string): MemberLayout {
  const { shape, data } = members;
  for (const dim of shape) {
    if (!Number.isInteger(dim) || dim < 0) {
      throw new CombineError(`${what}: invalid member-outputs shape ${formatShape(shape)}`);
    }
  }
  if (shape.length < 2) {
    throw new CombineError(`${what} needs member outputs of rank >= 2 ([members, batch, ...]), got shape ${formatShape(shape)}`);
  }
  const expected = sizeOf(shape);
  if (data.length !== expected) {
    throw new CombineError(`${what}: member outputs of shape ${formatShape(shape)} need ${expected} values, got ${data.length}`);
  }
  const n = shape[0] ?? 0;
  if (n < 1) {
    throw new CombineError(`${what} needs at least one member, got shape ${formatShape(shape)}`);
  }
  return { members: n, perMember: expected / n };
}

/** {@link memberLayout}, additionally requiring a non-empty class axis (rank >= 3). */
export function classLayout(members: Tensor, what: string): ClassLayout {
  const { shape } = members;
  if (shape.length < 3) {
    throw new CombineError(
      `${what} needs a class axis: member outputs of rank >= 3 ([members, batch, ..., classes]), got shape ${formatShape(shape)}`,
    );
  }
  const layout = memberLayout(members, what);
  const classes = shape[shape.length - 1] ?? 0;
  if (classes < 1) {
    throw new CombineError(`${what} needs at least one class, got shape ${formatShape(shape)}`);
  }
  return { ...layout, classes, rows: layout.perMember / classes, rowShape: shape.slice(1, -1) };
}

/**
 * Index of the largest of `data[offset .. offset + length)`; the first index
 * wins ties, NaN never wins over a number.
 */
export function argmaxRow(data: ArrayLike<number>, offset: number, length: number): number {
  let best = 0;
  let bestValue = data[offset] as number;
  for (let j = 1; j < length; j++) {
    const v = data[offset + j] as number;
    if (v > bestValue || (Number.isNaN(bestValue) && !Number.isNaN(v))) {
      bestValue = v;
      best = j;
    }
  }
  return best;
}

/**
 * Writes the probabilities of row `data[offset .. offset + length)` into
 * `out[0 .. length)`: a numerically stable softmax (max subtracted), or the
 * values as they are when `asIs`.
 */
export function probabilitiesRow(data: Float32Array, offset: number, length: number, asIs: boolean, out: Float64Array): void {
  if (asIs) {
    for (let j = 0; j < length; j++) out[j] = data[offset + j] as number;
    return;
  }
  let max = -Infinity;
  for (let j = 0; j < length; j++) {
    const v = data[offset + j] as number;
    if (v > max) max = v;
  }
  let sum = 0;
  for (let j = 0; j < length; j++) {
    const e = Math.exp((data[offset + j] as number) - max);
    out[j] = e;
    sum += e;
  }
  for (let j = 0; j < length; j++) out[j] = (out[j] as number) / sum;
}
