/**
 * `transpose`: ONNX Transpose, PyTorch `x.permute(*perm)`, on one member's
 * tensor, batch axis included: output axis i is input axis `perm[i]`.
 * Without `perm` the axes are reversed (ONNX's default). Negative entries
 * count from the end, as `permute` allows. Moving the batch axis is what
 * exported attention does (`[B, S, E] -> [S, B, E]`).
 *
 * Vectorization: a members value keeps its member axis in front,
 * `perm -> [0, ...perm + 1]`; a shared value is transposed as is and stays
 * shared.
 */
import { z } from 'zod';
import { formatSymbolicShape, normalizeAxis, type SymbolicShape } from '../tensor/symbolic-shape.js';
import { axesField, formatList, gatherReference } from './axis-fields.js';
import { defineTensorOp, passed, stridesOf } from './tensor-op.js';

export const transposeLayer = z.object({ op: z.literal('transpose'), perm: axesField.optional() }).strict();
export type TransposeLayer = z.infer<typeof transposeLayer>;

/** The permutation as input-axis indices, or what is wrong. */
function resolvePerm(layer: TransposeLayer, shape: SymbolicShape): { perm: number[] } | { problem: string } {
  const rank = shape.length;
  if (!layer.perm) return { perm: Array.from({ length: rank }, (_, i) => rank - 1 - i) };
  const perm = layer.perm.map((axis) => normalizeAxis(axis, rank));
  const isPermutation = layer.perm.length === rank && perm.every((axis, i) => axis !== undefined && perm.indexOf(axis) === i);
  if (!isPermutation) {
    return { problem: `perm ${formatList(layer.perm)} is not a permutation of the ${rank} axes of ${formatSymbolicShape(shape)}` };
  }
  return { perm: perm as number[] };
}

/** The permutation of a transpose of a value of `shape`, as input axes (the manifest was checked: a problem is a bug). */
export function transposePerm(layer: TransposeLayer, shape: SymbolicShape): number[] {
  return passed('transpose', resolvePerm(layer, shape)).perm;
}

/** The perm of a value's tensor: the member axis stays in front. */
function tensorPerm(perm: readonly number[], layout: 'shared' | 'members'): number[] {
  return layout === 'members' ? [0, ...perm.map((axis) => axis + 1)] : [...perm];
}

export const transpose = defineTensorOp<TransposeLayer>({
  op: 'transpose',
  schema: transposeLayer,
  arity: [1, 1],
  inferValue(layer, [x]) {
    if (!x) return { problems: ['takes one input'] };
    const result = resolvePerm(layer, x.shape);
    if ('problem' in result) return { problems: [result.problem] };
    return { value: { shape: result.perm.map((axis) => x.shape[axis] as SymbolicShape[number]), dtype: x.dtype } };
  },
  reference(layer, [x]) {
    if (!x) throw new Error('transpose takes one input');
    const perm = transposePerm(layer, x.shape);
    const strides = stridesOf(x.shape);
    const shape = perm.map((axis) => x.shape[axis] as number);
    const outStrides = perm.map((axis) => strides[axis] as number);
    return gatherReference(x, shape, (index) => index.reduce((offset, i, axis) => offset + i * (outStrides[axis] as number), 0));
  },
  onnx(ctx, layer, [x]) {
    if (!x) throw new Error('transpose takes one input');
    const perm = transposePerm(layer, x.shape);
    const name = ctx.graph.node('Transpose', [x.name], { perm: { kind: 'ints', value: tensorPerm(perm, x.layout) } });
    return { name, layout: x.layout, shape: perm.map((axis) => x.shape[axis] as SymbolicShape[number]), dtype: x.dtype };
  },
  tfjs(ctx, layer, [x]) {
    if (!x) throw new Error('transpose takes one input');
    const perm = transposePerm(layer, x.shape);
    return {
      t: ctx.tf.transpose(x.t, tensorPerm(perm, x.layout)),
      layout: x.layout,
      shape: perm.map((axis) => x.shape[axis] as SymbolicShape[number]),
      dtype: x.dtype,
    };
  },
});
