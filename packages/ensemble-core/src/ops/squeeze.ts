/**
 * `squeeze` and `unsqueeze`: ONNX Squeeze / Unsqueeze (13+), PyTorch
 * `x.squeeze(dims)` / `x.unsqueeze(dim)`, on one member's tensor, batch axis
 * included. `squeeze` drops the unit axes `axes` (every unit axis when
 * omitted; the batch axis is never one of them, whatever the batch size);
 * naming an axis whose size is not 1, or the batch axis, is refused.
 * `unsqueeze` inserts unit axes at `axes`, counted on the output's rank. ONNX
 * takes the axes as an input tensor; here they are a field.
 *
 * Vectorization: the axes are resolved on the per-member shape first (so the
 * member axis and a batch of one are never squeezed), then a members value
 * has them shifted past its member axis (`a -> a + 1`); a shared value is
 * squeezed as is and stays shared.
 */
import { z } from 'zod';
import { type Dim, formatSymbolicShape, isBatchDim, normalizeAxis, type SymbolicShape } from '../tensor/symbolic-shape.js';
import { axesField, formatList, resolveAxes } from './axis-fields.js';
import { defineTensorOp, passed } from './tensor-op.js';

export const squeezeLayer = z.object({ op: z.literal('squeeze'), axes: axesField.min(1).optional() }).strict();
export type SqueezeLayer = z.infer<typeof squeezeLayer>;

export const unsqueezeLayer = z.object({ op: z.literal('unsqueeze'), axes: axesField.min(1) }).strict();
export type UnsqueezeLayer = z.infer<typeof unsqueezeLayer>;

/** The axes a squeeze drops, ascending, or what is wrong. */
function squeezedAxes(layer: SqueezeLayer, shape: SymbolicShape): { axes: number[] } | { problem: string } {
  if (!layer.axes) return { axes: shape.flatMap((dim, axis) => (dim === 1 ? [axis] : [])) };
  const result = resolveAxes(layer.axes, shape.length, shape);
  if ('problem' in result) return result;
  for (const axis of result.axes) {
    const dim = shape[axis] as Dim;
    if (isBatchDim(dim)) return { problem: `axis ${axis} is the batch axis of ${formatSymbolicShape(shape)}, which never squeezes` };
    if (dim !== 1) return { problem: `axis ${axis} of ${formatSymbolicShape(shape)} has size ${dim}, not 1` };
  }
  return { axes: result.axes.sort((a, b) => a - b) };
}

/** The axes an unsqueeze inserts, as indices of the output, ascending, or what is wrong. */
function insertedAxes(layer: UnsqueezeLayer, shape: SymbolicShape): { axes: number[] } | { problem: string } {
  const rank = shape.length + layer.axes.length;
  const axes: number[] = [];
  for (const axis of layer.axes) {
    const index = normalizeAxis(axis, rank);
    if (index === undefined) {
      return { problem: `axis ${axis} is out of range for the ${rank} axes of the output (axes -${rank} to ${rank - 1})` };
    }
    if (axes.includes(index)) return { problem: `axes ${formatList(layer.axes)} name axis ${index} twice` };
    axes.push(index);
  }
  return { axes: axes.sort((a, b) => a - b) };
}

export function squeezedShape<D>(shape: readonly D[], axes: readonly number[]): D[] {
  return shape.filter((_, axis) => !axes.includes(axis));
}

export function unsqueezedShape<D>(shape: readonly D[], axes: readonly number[], unit: D): D[] {
  const output: D[] = [];
  let next = 0;
  for (let axis = 0; axis < shape.length + axes.length; axis++) output.push(axes.includes(axis) ? unit : (shape[next++] as D));
  return output;
}

/** The axes a squeeze of a value of `shape` drops, ascending (the manifest was checked: a problem is a bug). */
export function squeezeAxes(layer: SqueezeLayer, shape: SymbolicShape): number[] {
  return passed('squeeze', squeezedAxes(layer, shape)).axes;
}

/** The axes an unsqueeze of a value of `shape` inserts, as indices of its output, ascending. */
export function unsqueezeAxes(layer: UnsqueezeLayer, shape: SymbolicShape): number[] {
  return passed('unsqueeze', insertedAxes(layer, shape)).axes;
}

function tensorAxes(axes: readonly number[], layout: 'shared' | 'members'): number[] {
  return layout === 'members' ? axes.map((axis) => axis + 1) : [...axes];
}

export const squeeze = defineTensorOp<SqueezeLayer>({
  op: 'squeeze',
  schema: squeezeLayer,
  arity: [1, 1],
  inferValue(layer, [x]) {
    if (!x) return { problems: ['takes one input'] };
    const result = squeezedAxes(layer, x.shape);
    if ('problem' in result) return { problems: [result.problem] };
    return { value: { shape: squeezedShape(x.shape, result.axes), dtype: x.dtype } };
  },
  reference(layer, [x], _params, [info]) {
    if (!x || !info) throw new Error('squeeze takes one input');
    // The axes from the symbolic shape: at batch size 1 the concrete one cannot tell the batch axis from a unit axis.
    const axes = squeezeAxes(layer, info.shape);
    return { shape: squeezedShape(x.shape, axes), data: x.data };
  },
  onnx(ctx, layer, [x]) {
    if (!x) throw new Error('squeeze takes one input');
    const axes = squeezeAxes(layer, x.shape);
    const shape = squeezedShape(x.shape, axes);
    if (axes.length === 0) return { ...x, shape };
    const name = ctx.graph.node('Squeeze', [x.name, ctx.graph.int64s('squeeze_axes', tensorAxes(axes, x.layout))]);
    return { name, layout: x.layout, shape, dtype: x.dtype };
  },
  tfjs(ctx, layer, [x]) {
    if (!x) throw new Error('squeeze takes one input');
    const axes = squeezeAxes(layer, x.shape);
    const shape = squeezedShape(x.shape, axes);
    if (axes.length === 0) return { ...x, shape };
    return { t: ctx.tf.squeeze(x.t, tensorAxes(axes, x.layout)), layout: x.layout, shape, dtype: x.dtype };
  },
});

export const unsqueeze = defineTensorOp<UnsqueezeLayer>({
  op: 'unsqueeze',
  schema: unsqueezeLayer,
  arity: [1, 1],
  inferValue(layer, [x]) {
    if (!x) return { problems: ['takes one input'] };
    const result = insertedAxes(layer, x.shape);
    if ('problem' in result) return { problems: [result.problem] };
    return { value: { shape: unsqueezedShape<Dim>(x.shape, result.axes, 1), dtype: x.dtype } };
  },
  reference(layer, [x]) {
    if (!x) throw new Error('unsqueeze takes one input');
    const axes = unsqueezeAxes(layer, x.shape);
    return { shape: unsqueezedShape(x.shape, axes, 1), data: x.data };
  },
  onnx(ctx, layer, [x]) {
    if (!x) throw new Error('unsqueeze takes one input');
    const axes = unsqueezeAxes(layer, x.shape);
    const name = ctx.graph.node('Unsqueeze', [x.name, ctx.graph.int64s('unsqueeze_axes', tensorAxes(axes, x.layout))]);
    return { name, layout: x.layout, shape: unsqueezedShape<Dim>(x.shape, axes, 1), dtype: x.dtype };
  },
  tfjs(ctx, layer, [x]) {
    if (!x) throw new Error('unsqueeze takes one input');
    const axes = unsqueezeAxes(layer, x.shape);
    const shape = unsqueezedShape<Dim>(x.shape, axes, 1);
    const target = [
      ...(x.layout === 'members' ? [x.t.shape[0] as number] : []),
      ...unsqueezedShape(x.t.shape.slice(x.layout === 'members' ? 1 : 0), axes, 1),
    ];
    return { t: ctx.tf.reshape(x.t, target), layout: x.layout, shape, dtype: x.dtype };
  },
});
