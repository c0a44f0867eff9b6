/**
 * `concat`: ONNX Concat, PyTorch `torch.cat(tensors, dim=axis)`, of 1 to 16
 * values of one member, batch axis included: equal ranks and dtypes, equal
 * sizes on every axis but `axis`, where the sizes add up. Along the batch
 * axis only batch axes join (`batch` and `batch` give `2*batch`); a batch
 * axis never joins a fixed size.
 *
 * Vectorization: values that are all shared are concatenated as they are
 * and the result stays shared; otherwise every value is brought to members
 * (a shared one broadcast over the member axis) and joined on `axis + 1`.
 */
import { z } from 'zod';
import { graphValueToMembers } from '../kernels/onnx-kernel.js';
import { tfjsGraphValueToMembers } from '../kernels/tfjs-kernel.js';
import { type Dim, formatSymbolicShape, isBatchDim, normalizeAxis, type SymbolicShape, sameDim } from '../tensor/symbolic-shape.js';
import type { ValueInfo } from '../tensor/value-info.js';
import { axisField } from './axis-fields.js';
import { defineTensorOp, passed } from './tensor-op.js';

export const concatLayer = z.object({ op: z.literal('concat'), axis: axisField }).strict();
export type ConcatLayer = z.infer<typeof concatLayer>;

/** The output and the resolved axis, or what is wrong. */
function joined(layer: ConcatLayer, inputs: readonly ValueInfo[]): { value: ValueInfo; axis: number } | { problem: string } {
  const [first] = inputs;
  if (!first) return { problem: 'takes 1 to 16 inputs' };
  const axis = normalizeAxis(layer.axis, first.shape.length);
  if (axis === undefined) {
    const rank = first.shape.length;
    return { problem: `axis ${layer.axis} is out of range for ${formatSymbolicShape(first.shape)} (axes -${rank} to ${rank - 1})` };
  }
  let size: Dim = first.shape[axis] as Dim;
  for (const other of inputs.slice(1)) {
    const [a, b] = [formatSymbolicShape(first.shape), formatSymbolicShape(other.shape)];
    if (other.dtype !== first.dtype) return { problem: `inputs ${first.dtype} ${a} and ${other.dtype} ${b} differ in dtype` };
    if (other.shape.length !== first.shape.length) return { problem: `inputs ${a} and ${b} differ in rank` };
    if (!other.shape.every((dim, i) => i === axis || sameDim(dim, first.shape[i] as Dim))) {
      return { problem: `inputs ${a} and ${b} must match on every axis but ${axis}` };
    }
    const dim = other.shape[axis] as Dim;
    if (isBatchDim(dim) !== isBatchDim(size)) {
      return { problem: `inputs ${a} and ${b} cannot join on axis ${axis}: a batch axis and a fixed size` };
    }
    size = isBatchDim(dim) ? { batch: dim.batch + (size as { batch: number }).batch } : dim + (size as number);
  }
  const shape: SymbolicShape = first.shape.map((dim, i) => (i === axis ? size : dim));
  return { value: { shape, dtype: first.dtype }, axis };
}

function resolved(layer: ConcatLayer, inputs: readonly ValueInfo[]): { value: ValueInfo; axis: number } {
  return passed('concat', joined(layer, inputs));
}

export const concat = defineTensorOp<ConcatLayer>({
  op: 'concat',
  schema: concatLayer,
  arity: [1, 16],
  inferValue(layer, inputs) {
    const result = joined(layer, inputs);
    return 'problem' in result ? { problems: [result.problem] } : { value: result.value };
  },
  reference(layer, inputs) {
    const first = inputs[0];
    if (!first) throw new Error('concat takes 1 to 16 inputs');
    const axis = normalizeAxis(layer.axis, first.shape.length);
    if (axis === undefined) throw new Error(`concat: axis ${layer.axis} is out of range`);
    const shape = first.shape.map((dim, i) => (i === axis ? inputs.reduce((sum, x) => sum + (x.shape[i] as number), 0) : dim));
    // Each input is `outer` blocks of `shape[axis:]`-sized rows, laid side by side along the axis.
    const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
    const outerStride = shape.slice(axis).reduce((a, b) => a * b, 1);
    const data = new Float64Array(outer * outerStride);
    let offset = 0;
    for (const x of inputs) {
      const block = x.data.length / outer;
      for (let o = 0; o < outer; o++) data.set(x.data.subarray(o * block, (o + 1) * block), o * outerStride + offset);
      offset += block;
    }
    return { shape, data };
  },
  onnx(ctx, layer, inputs) {
    const { value, axis } = resolved(layer, inputs);
    const shared = inputs.every((x) => x.layout === 'shared');
    const names = inputs.map((x) => (shared ? x.name : graphValueToMembers(ctx.graph, ctx.members, x).name));
    const name = ctx.graph.node('Concat', names, { axis: { kind: 'int', value: shared ? axis : axis + 1 } });
    return { name, layout: shared ? 'shared' : 'members', ...value };
  },
  tfjs(ctx, layer, inputs) {
    const { value, axis } = resolved(layer, inputs);
    const shared = inputs.every((x) => x.layout === 'shared');
    const tensors = inputs.map((x) => (shared ? x.t : tfjsGraphValueToMembers(ctx.tf, ctx.members, x).t));
    return { t: ctx.tf.concat(tensors, shared ? axis : axis + 1), layout: shared ? 'shared' : 'members', ...value };
  },
});
