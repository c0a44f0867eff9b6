/**
 * `reducemean`: ONNX ReduceMean, PyTorch `x.mean(dim=axes, keepdim=keepdims)`,
 * on one member's float32 tensor, batch axis included: the mean over `axes`
 * (every axis when omitted), which stay as unit axes when `keepdims` (the
 * default, as in ONNX) and are dropped otherwise. Samples stay apart: a mean
 * over the batch axis is refused, so a value with a batch axis names its
 * axes. ONNX 18 takes the axes as an input; the emitted graph's opset (17)
 * takes them as an attribute, and so does this field.
 *
 * Vectorization: the axes are resolved on the per-member shape, then a
 * members value has them shifted past its member axis (`a -> a + 1`); a
 * shared value is reduced as is and stays shared.
 */
import { z } from 'zod';
import { type Dim, formatSymbolicShape, type SymbolicShape } from '../tensor/symbolic-shape.js';
import { axesField, holdsBatch, resolveAxes } from './axis-fields.js';
import { defineTensorOp, passed, stridesOf } from './tensor-op.js';

export const reducemeanLayer = z
  .object({ op: z.literal('reducemean'), axes: axesField.min(1).optional(), keepdims: z.boolean().default(true) })
  .strict();
export type ReducemeanLayer = z.infer<typeof reducemeanLayer>;

/** The reduced axes, ascending, or what is wrong. */
function reducedAxes(layer: ReducemeanLayer, shape: SymbolicShape): { axes: number[] } | { problem: string } {
  const result = layer.axes ? resolveAxes(layer.axes, shape.length, shape) : { axes: shape.map((_, axis) => axis) };
  if ('problem' in result) return result;
  const batch = result.axes.find((axis) => holdsBatch(shape[axis]));
  if (batch !== undefined) {
    const fmt = formatSymbolicShape(shape);
    return {
      problem: layer.axes
        ? `over axis ${batch} of ${fmt} would average over the batch axis; each sample must stay apart`
        : `without axes averages over every axis of ${fmt}, the batch axis ${batch} among them; each sample must stay apart: name the axes`,
    };
  }
  return { axes: result.axes.sort((a, b) => a - b) };
}

function reducedShape<D extends Dim>(shape: readonly D[], axes: readonly number[], keepdims: boolean): D[] {
  return shape.flatMap((dim, axis) => (!axes.includes(axis) ? [dim] : keepdims ? [1 as D] : []));
}

function axesOf(layer: ReducemeanLayer, shape: SymbolicShape): number[] {
  return passed('reducemean', reducedAxes(layer, shape)).axes;
}

export const reducemean = defineTensorOp<ReducemeanLayer>({
  op: 'reducemean',
  schema: reducemeanLayer,
  arity: [1, 1],
  inferValue(layer, [x]) {
    if (!x) return { problems: ['takes one input'] };
    if (x.dtype !== 'float32') return { problems: ['takes a float32 input'] };
    const result = reducedAxes(layer, x.shape);
    return 'problem' in result
      ? { problems: [result.problem] }
      : { value: { shape: reducedShape(x.shape, result.axes, layer.keepdims), dtype: 'float32' } };
  },
  reference(layer, [x]) {
    if (!x) throw new Error('reducemean takes one input');
    const axes = axesOf(layer, x.shape);
    const kept = reducedShape(x.shape, axes, true);
    const keptStrides = stridesOf(kept).map((stride, axis) => (axes.includes(axis) ? 0 : stride));
    const strides = stridesOf(x.shape);
    const sums = new Float64Array(kept.reduce((a, b) => a * b, 1));
    for (let flat = 0; flat < x.data.length; flat++) {
      let target = 0;
      for (let axis = 0; axis < x.shape.length; axis++) {
        target += (Math.floor(flat / (strides[axis] as number)) % (x.shape[axis] as number)) * (keptStrides[axis] as number);
      }
      sums[target] = (sums[target] as number) + (x.data[flat] as number);
    }
    const count = axes.reduce((n, axis) => n * (x.shape[axis] as number), 1);
    return { shape: reducedShape(x.shape, axes, layer.keepdims), data: sums.map((sum) => sum / count) };
  },
  onnx(ctx, layer, [x]) {
    if (!x) throw new Error('reducemean takes one input');
    const axes = axesOf(layer, x.shape);
    const shift = x.layout === 'members' ? 1 : 0;
    const name = ctx.graph.node('ReduceMean', [x.name], {
      axes: { kind: 'ints', value: axes.map((axis) => axis + shift) },
      keepdims: { kind: 'int', value: layer.keepdims ? 1 : 0 },
    });
    return { name, layout: x.layout, shape: reducedShape(x.shape, axes, layer.keepdims), dtype: 'float32' };
  },
  tfjs(ctx, layer, [x]) {
    if (!x) throw new Error('reducemean takes one input');
    const axes = axesOf(layer, x.shape);
    const shift = x.layout === 'members' ? 1 : 0;
    return {
      t: ctx.tf.mean(
        x.t,
        axes.map((axis) => axis + shift),
        layer.keepdims,
      ),
      layout: x.layout,
      shape: reducedShape(x.shape, axes, layer.keepdims),
      dtype: 'float32',
    };
  },
});
