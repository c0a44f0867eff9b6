/** `flatten`: PyTorch `nn.Flatten()`, every axis after the batch axis into one. */
import { z } from 'zod';
import { defineOp } from './op-definition.js';

export const flattenLayer = z.object({ op: z.literal('flatten') }).strict();
export type FlattenLayer = z.infer<typeof flattenLayer>;

export const flatten = defineOp<FlattenLayer>({
  op: 'flatten',
  schema: flattenLayer,
  inferShape: (_layer, input) => ({ shape: [input.reduce((a, b) => a * b, 1)] }),
  reference: (_layer, x) => ({ shape: [x.shape[0] as number, x.data.length / (x.shape[0] as number)], data: x.data }),
  onnx(ctx, _layer, input) {
    const x = input.layout === 'grouped' ? ctx.toMembers(input) : input;
    const target = x.layout === 'shared' ? [0, -1] : [0, 0, -1];
    const name = ctx.graph.node('Reshape', [x.name, ctx.graph.int64s('flatten_shape', target)]);
    return { name, layout: x.layout, sample: [x.sample.reduce((a, b) => a * b, 1)] };
  },
  tfjs(ctx, _layer, x) {
    const size = x.sample.reduce((a, b) => a * b, 1);
    const lead = x.t.shape.slice(0, x.layout === 'shared' ? 1 : 2);
    return { t: ctx.tf.reshape(x.t, [...lead, size]), layout: x.layout, sample: [size] };
  },
});
