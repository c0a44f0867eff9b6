/**
 * What the shape-moving tensor ops (`reshape`, `transpose`, `squeeze`,
 * `unsqueeze`, `concat`, `slice`, `reducemean`) share: axis fields counted on
 * one member's tensor (batch axis included, negative from the end), their
 * resolution against a symbolic shape, and the index walks of their float64
 * references.
 */
import { z } from 'zod';
import { type Dim, formatSymbolicShape, isBatchDim, normalizeAxis, type SymbolicShape } from '../tensor/symbolic-shape.js';
import type { ReferenceTensor } from './op-definition.js';

/** An axis of one member's tensor; negative counts from the end. */
export const axisField = z.number().int().min(-64).max(63);
/** A list of axes (ranks stay within 8, as value shapes do). */
export const axesField = z.array(axisField).max(8);

/** `[1, -2]`, for messages. */
export function formatList(values: readonly number[]): string {
  return `[${values.join(', ')}]`;
}

/** Axes resolved to indices of a rank-`rank` shape, or what is wrong (out of range, named twice). */
export function resolveAxes(axes: readonly number[], rank: number, shape: SymbolicShape): { axes: number[] } | { problem: string } {
  const resolved: number[] = [];
  for (const axis of axes) {
    const index = normalizeAxis(axis, rank);
    if (index === undefined)
      return { problem: `axis ${axis} is out of range for ${formatSymbolicShape(shape)} (axes -${rank} to ${rank - 1})` };
    if (resolved.includes(index)) return { problem: `axes ${formatList(axes)} name axis ${index} twice` };
    resolved.push(index);
  }
  return { axes: resolved };
}

/** Whether a dimension is the batch (or a multiple of it). */
export function holdsBatch(dim: Dim | undefined): boolean {
  return dim !== undefined && isBatchDim(dim);
}

/**
 * A tensor of shape `shape` whose element at each multi-index is read from
 * `input.data[offset(index)]`: the reference form of ops that move elements
 * (transpose, slice).
 */
export function gatherReference(
  input: ReferenceTensor,
  shape: readonly number[],
  offset: (index: readonly number[]) => number,
): ReferenceTensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const data = new Float64Array(size);
  const index = new Array<number>(shape.length).fill(0);
  for (let flat = 0; flat < size; flat++) {
    data[flat] = input.data[offset(index)] as number;
    for (let axis = shape.length - 1; axis >= 0; axis--) {
      index[axis] = (index[axis] as number) + 1;
      if ((index[axis] as number) < (shape[axis] as number)) break;
      index[axis] = 0;
    }
  }
  return { shape, data };
}
