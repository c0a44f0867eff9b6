/**
 * `flatten`: PyTorch `nn.Flatten(start_dim=1, end_dim=-1)`, the axes
 * `startDim` through `endDim` into one. Both count the axes of one member's
 * tensor including the batch axis, as PyTorch does; negative values count
 * from the end. The batch axis (dim 0) stays apart.
 *
 * A reshape on any layout; the grouped layout stays grouped when only
 * spatial axes merge.
 */
import { z } from 'zod';
import { formatShape } from '../tensor/tensor.js';
import { defineOp } from './op-definition.js';

export const flattenLayer = z
  .object({ op: z.literal('flatten'), startDim: z.number().int().default(1), endDim: z.number().int().default(-1) })
  .strict();
export type FlattenLayer = z.infer<typeof flattenLayer>;

/** The sample axes `[first, last]` (batch axis excluded) that the layer merges, or what is wrong. */
function mergedAxes(layer: FlattenLayer, sample: readonly number[]): { first: number; last: number } | { problems: string[] } {
  const rank = sample.length + 1;
  const resolve = (dim: number) => (dim < 0 ? dim + rank : dim);
  const [start, end] = [resolve(layer.startDim), resolve(layer.endDim)];
  const input = `a ${formatShape(['*', ...sample])} input`;
  const problems: string[] = [];
  for (const [field, dim, axis] of [
    ['startDim', layer.startDim, start],
    ['endDim', layer.endDim, end],
  ] as const) {
    if (axis < 0 || axis >= rank) problems.push(`${field} ${dim} is out of range for ${input} (dims -${rank} to ${rank - 1})`);
    else if (axis === 0) problems.push(`${field} ${dim} is the batch axis of ${input}; flatten keeps each sample apart`);
  }
  if (problems.length === 0 && end < start) problems.push(`endDim ${layer.endDim} comes before startDim ${layer.startDim} in ${input}`);
  return problems.length > 0 ? { problems } : { first: start - 1, last: end - 1 };
}

function flattenedSample(sample: readonly number[], first: number, last: number): number[] {
  return [...sample.slice(0, first), sample.slice(first, last + 1).reduce((a, b) => a * b, 1), ...sample.slice(last + 1)];
}

function resolved(layer: FlattenLayer, sample: readonly number[]): number[] {
  const axes = mergedAxes(layer, sample);
  if ('problems' in axes) throw new Error(`flatten ${axes.problems.join('; ')}`);
  return flattenedSample(sample, axes.first, axes.last);
}

export const flatten = defineOp<FlattenLayer>({
  op: 'flatten',
  schema: flattenLayer,
  inferShape(layer, input) {
    const axes = mergedAxes(layer, input);
    if ('problems' in axes) return { problems: axes.problems };
    return { shape: flattenedSample(input, axes.first, axes.last) };
  },
  reference: (layer, x) => ({ shape: [x.shape[0] as number, ...resolved(layer, x.shape.slice(1))], data: x.data }),
  onnx(ctx, layer, input) {
    const sample = resolved(layer, input.sample);
    const axes = mergedAxes(layer, input.sample) as { first: number };
    if (input.layout === 'grouped' && axes.first >= 1) {
      // Channels stay where they are: [B, N*C, ...spatial] → [B, N*C, ...merged spatial].
      const name = ctx.graph.node('Reshape', [input.name, ctx.graph.int64s('flatten_shape', [0, 0, ...sample.slice(1)])]);
      return { name, layout: 'grouped', sample };
    }
    const x = input.layout === 'grouped' ? ctx.toMembers(input) : input;
    const lead = x.layout === 'shared' ? [0] : [0, 0];
    const name = ctx.graph.node('Reshape', [x.name, ctx.graph.int64s('flatten_shape', [...lead, ...sample])]);
    return { name, layout: x.layout, sample };
  },
  tfjs(ctx, layer, x) {
    const sample = resolved(layer, x.sample);
    const lead = x.t.shape.slice(0, x.layout === 'shared' ? 1 : 2);
    return { t: ctx.tf.reshape(x.t, [...lead, ...sample]), layout: x.layout, sample };
  },
});
