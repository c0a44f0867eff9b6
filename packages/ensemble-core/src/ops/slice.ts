/**
 * `slice`: ONNX Slice (10+), PyTorch basic indexing `x[a:b:s]` (negative
 * steps as `torch.flip` then a slice), on one member's tensor, batch axis
 * included. `starts[i]`, `ends[i]` and `steps[i]` (default 1, negative to
 * walk backwards, never 0) apply to `axes[i]` (default `0, 1, ...`).
 * Negative starts and ends count from the end; then ONNX clamps them: to
 * `[0, size]` for a positive step, starts to `[0, size - 1]` and ends to
 * `[-1, size - 1]` for a negative one. So INT64 max/min (PyTorch's open
 * ends, 9223372036854775807 in an exported graph) mean "to the end", as
 * does any bound past it. The batch axis is only ever taken whole: start 0
 * (or at most -(2^31 - 1)), end at least 2^31 - 1, step 1.
 *
 * Vectorization: the bounds are resolved on the per-member shape; only the
 * axes that change are sliced, with explicit clamped bounds, a members value
 * on `axis + 1`, a shared value as is (it stays shared). The batch axis,
 * taken whole, is left out of the emitted slice. TensorFlow.js reverses the
 * axes with negative steps and slices them with positive ones.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { type Dim, formatSymbolicShape, isBatchDim, type SymbolicShape } from '../tensor/symbolic-shape.js';
import { axesField, gatherReference, resolveAxes } from './axis-fields.js';
import { defineTensorOp, passed, stridesOf } from './tensor-op.js';

/** A bound of a slice: any integer within int64, clamped to the axis. */
const bound = z
  .number()
  .refine((n) => Number.isInteger(n) && Math.abs(n) <= 2 ** 63, 'must be an integer within int64 (INT64 max/min mean to the end)');
const step = z.number().refine((n) => Number.isInteger(n) && n !== 0 && Math.abs(n) <= 2 ** 63, 'must be a nonzero integer within int64');

export const sliceLayer = z
  .object({
    op: z.literal('slice'),
    starts: z.array(bound).min(1).max(8),
    ends: z.array(bound).min(1).max(8),
    axes: axesField.optional(),
    steps: z.array(step).max(8).optional(),
  })
  .strict();
export type SliceLayer = z.infer<typeof sliceLayer>;

/** Bounds at least this far out reach past the end of any batch. */
const OPEN_BOUND = 2 ** 31 - 1;

/** One axis of a slice after ONNX's clamping: elements `start, start + step, ...`, `count` of them. */
interface AxisRange {
  readonly axis: number;
  readonly start: number;
  readonly end: number;
  readonly step: number;
  readonly count: number;
}

function clampRange(axis: number, start: number, end: number, step: number, size: number): AxisRange {
  const clamp = (value: number, low: number, high: number) => Math.min(Math.max(value, low), high);
  const s = start < 0 ? start + size : start;
  const e = end < 0 ? end + size : end;
  const [first, last] = step > 0 ? [clamp(s, 0, size), clamp(e, 0, size)] : [clamp(s, 0, size - 1), clamp(e, -1, size - 1)];
  // A step longer than the axis takes at most one element, as a step of the axis's size does.
  const stride = Math.sign(step) * Math.min(Math.abs(step), Math.max(size, 1));
  return { axis, start: first, end: last, step: stride, count: Math.max(0, Math.ceil((last - first) / stride)) };
}

/** What a slice does to each axis it names: the batch axis taken whole, or a clamped range. */
type Plan = { readonly shape: SymbolicShape; readonly ranges: readonly AxisRange[]; readonly batchAxes: readonly number[] };

function plan(layer: SliceLayer, shape: SymbolicShape): Plan | { problem: string } {
  const count = layer.starts.length;
  const lengths = [
    ['ends', layer.ends.length],
    ['axes', layer.axes?.length ?? count],
    ['steps', layer.steps?.length ?? count],
  ] as const;
  for (const [field, length] of lengths) {
    if (length !== count) return { problem: `${field} holds ${length} values but starts holds ${count}` };
  }
  const resolved = resolveAxes(layer.axes ?? Array.from({ length: count }, (_, i) => i), shape.length, shape);
  if ('problem' in resolved) return resolved;
  const output: Dim[] = [...shape];
  const ranges: AxisRange[] = [];
  const batchAxes: number[] = [];
  for (const [i, axis] of resolved.axes.entries()) {
    const [start, end, step] = [layer.starts[i] as number, layer.ends[i] as number, layer.steps?.[i] ?? 1];
    const dim = shape[axis] as Dim;
    if (isBatchDim(dim)) {
      if (step !== 1 || !(start === 0 || start <= -OPEN_BOUND) || end < OPEN_BOUND) {
        return {
          problem: `axis ${axis} is the batch axis of ${formatSymbolicShape(shape)}, which is only taken whole (starts 0, ends 9223372036854775807, steps 1); got starts ${start}, ends ${end}, steps ${step}`,
        };
      }
      batchAxes.push(axis);
      continue;
    }
    const range = clampRange(axis, start, end, step, dim);
    ranges.push(range);
    output[axis] = range.count;
  }
  return { shape: output, ranges, batchAxes };
}

function planOf(layer: SliceLayer, shape: SymbolicShape): Plan {
  return passed('slice', plan(layer, shape));
}

export const slice = defineTensorOp<SliceLayer>({
  op: 'slice',
  schema: sliceLayer,
  arity: [1, 1],
  inferValue(layer, [x]) {
    if (!x) return { problems: ['takes one input'] };
    const result = plan(layer, x.shape);
    return 'problem' in result ? { problems: [result.problem] } : { value: { shape: result.shape, dtype: x.dtype } };
  },
  reference(layer, [x]) {
    if (!x) throw new Error('slice takes one input');
    // Concrete sizes: the batch axis is sliced like any other, and taken whole by the shape rule.
    const { ranges } = planOf(layer, x.shape);
    const strides = stridesOf(x.shape);
    const start = x.shape.map(() => 0);
    const stepOf = x.shape.map(() => 1);
    const shape = [...x.shape];
    for (const range of ranges) {
      start[range.axis] = range.start;
      stepOf[range.axis] = range.step;
      shape[range.axis] = range.count;
    }
    return gatherReference(x, shape, (index) =>
      index.reduce((offset, i, axis) => offset + ((start[axis] as number) + i * (stepOf[axis] as number)) * (strides[axis] as number), 0),
    );
  },
  onnx(ctx, layer, [x]) {
    if (!x) throw new Error('slice takes one input');
    const { shape, ranges } = planOf(layer, x.shape);
    if (ranges.length === 0) return { ...x, shape };
    const shift = x.layout === 'members' ? 1 : 0;
    // An end of -1 (before the first element, walking backwards) is written so that ONNX clamps it back to -1.
    const ends = ranges.map((range) => (range.end < 0 ? -(x.shape[range.axis] as number) - 1 : range.end));
    const name = ctx.graph.node('Slice', [
      x.name,
      ctx.graph.int64s(
        'slice_starts',
        ranges.map((range) => range.start),
      ),
      ctx.graph.int64s('slice_ends', ends),
      ctx.graph.int64s(
        'slice_axes',
        ranges.map((range) => range.axis + shift),
      ),
      ctx.graph.int64s(
        'slice_steps',
        ranges.map((range) => range.step),
      ),
    ]);
    return { name, layout: x.layout, shape, dtype: x.dtype };
  },
  tfjs(ctx, layer, [x]) {
    if (!x) throw new Error('slice takes one input');
    const { shape, ranges } = planOf(layer, x.shape);
    if (ranges.length === 0) return { ...x, shape };
    const shift = x.layout === 'members' ? 1 : 0;
    const sizes = x.t.shape;
    // Backward steps: flip those axes, where the same elements lie forwards from size - 1 - start.
    const backward = ranges.filter((range) => range.step < 0);
    const t: Tensor =
      backward.length > 0
        ? ctx.tf.reverse(
            x.t,
            backward.map((range) => range.axis + shift),
          )
        : x.t;
    const begin = sizes.map(() => 0);
    const end = [...sizes];
    const strides = sizes.map(() => 1);
    for (const range of ranges) {
      const axis = range.axis + shift;
      const first = range.step < 0 ? (sizes[axis] as number) - 1 - range.start : range.start;
      const stride = Math.abs(range.step);
      begin[axis] = first;
      end[axis] = range.count === 0 ? first : first + (range.count - 1) * stride + 1;
      strides[axis] = stride;
    }
    return { t: ctx.tf.stridedSlice(t, begin, end, strides), layout: x.layout, shape, dtype: x.dtype };
  },
});
