/**
 * `softmax`: PyTorch `nn.Softmax(dim=-1)`. `dim` counts the axes of one
 * member's tensor including the batch axis, as PyTorch does (dim 1 of a
 * `[B, C, L]` input is `C`); negative values count from the end. Dim 0, the
 * batch axis, is refused: each sample is normalized on its own.
 *
 * The vectorized form is one softmax along the same axis, shifted by one in
 * the members layout; over the channels of the grouped layout (where they
 * mix with the member axis) it first moves to the members layout.
 */
import { z } from 'zod';
import { formatShape } from '../tensor/tensor.js';
import { defineOp } from './op-definition.js';

export const softmaxLayer = z.object({ op: z.literal('softmax'), dim: z.number().int().default(-1) }).strict();
export type SoftmaxLayer = z.infer<typeof softmaxLayer>;

/** The axis of `[B, ...sample]` that `dim` names, or undefined when it names none. */
function batchFirstAxis(dim: number, sampleRank: number): number | undefined {
  const rank = sampleRank + 1;
  const axis = dim < 0 ? dim + rank : dim;
  return axis >= 0 && axis < rank ? axis : undefined;
}

export const softmax = defineOp<SoftmaxLayer>({
  op: 'softmax',
  schema: softmaxLayer,
  inferShape(layer, input) {
    if (input.length === 0) return { problems: ['needs an input with at least one axis'] };
    const axis = batchFirstAxis(layer.dim, input.length);
    const batched = formatShape(['*', ...input]);
    if (axis === undefined) {
      return {
        problems: [`dim ${layer.dim} is out of range for a ${batched} input (dims -${input.length + 1} to ${input.length})`],
        shape: input,
      };
    }
    if (axis === 0) {
      return {
        problems: [`dim ${layer.dim} is the batch axis of a ${batched} input; softmax normalizes each sample on its own`],
        shape: input,
      };
    }
    return { shape: input };
  },
  reference(layer, x) {
    const axis = batchFirstAxis(layer.dim, x.shape.length - 1) as number;
    const width = x.shape[axis] as number;
    const inner = x.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    const data = new Float64Array(x.data.length);
    for (let outer = 0; outer < data.length; outer += width * inner) {
      for (let j = 0; j < inner; j++) {
        const at = (i: number) => outer + i * inner + j;
        let max = -Infinity;
        for (let i = 0; i < width; i++) max = Math.max(max, x.data[at(i)] as number);
        let sum = 0;
        for (let i = 0; i < width; i++) sum += data[at(i)] = Math.exp((x.data[at(i)] as number) - max);
        for (let i = 0; i < width; i++) data[at(i)] = (data[at(i)] as number) / sum;
      }
    }
    return { shape: x.shape, data };
  },
  onnx(ctx, layer, input) {
    const axis = batchFirstAxis(layer.dim, input.sample.length) as number;
    // Grouped channels are [N*C]: a softmax over C alone needs the member axis apart.
    const x = input.layout === 'grouped' && axis === 1 ? ctx.toMembers(input) : input;
    const onnxAxis = axis === input.sample.length ? -1 : x.layout === 'members' ? axis + 1 : axis;
    return { ...x, name: ctx.graph.node('Softmax', [x.name], { axis: { kind: 'int', value: onnxAxis } }) };
  },
  tfjs(ctx, layer, x) {
    const { tf } = ctx;
    const axis = batchFirstAxis(layer.dim, x.sample.length) as number;
    if (axis === x.sample.length) return { ...x, t: tf.softmax(x.t) };
    // TensorFlow.js's softmax takes the last axis only.
    const at = x.layout === 'members' ? axis + 1 : axis;
    const shifted = tf.exp(tf.sub(x.t, tf.max(x.t, at, true)));
    return { ...x, t: tf.div(shifted, tf.sum(shifted, at, true)) };
  },
});
