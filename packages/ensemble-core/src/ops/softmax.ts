/** `softmax`: PyTorch `nn.Softmax(dim=-1)`, over the last axis, which is the last axis in every layout. */
import { z } from 'zod';
import { defineOp } from './op-definition.js';

export const softmaxLayer = z.object({ op: z.literal('softmax') }).strict();
export type SoftmaxLayer = z.infer<typeof softmaxLayer>;

export const softmax = defineOp<SoftmaxLayer>({
  op: 'softmax',
  schema: softmaxLayer,
  inferShape: (_layer, input) => (input.length === 0 ? { problems: ['needs an input with at least one axis'] } : { shape: input }),
  reference(_layer, x) {
    const width = x.shape.at(-1) as number;
    const data = new Float64Array(x.data.length);
    for (let start = 0; start < data.length; start += width) {
      let max = -Infinity;
      for (let i = 0; i < width; i++) max = Math.max(max, x.data[start + i] as number);
      let sum = 0;
      for (let i = 0; i < width; i++) sum += data[start + i] = Math.exp((x.data[start + i] as number) - max);
      for (let i = 0; i < width; i++) data[start + i] = (data[start + i] as number) / sum;
    }
    return { shape: x.shape, data };
  },
  onnx: (ctx, _layer, x) => ({ ...x, name: ctx.graph.node('Softmax', [x.name], { axis: { kind: 'int', value: -1 } }) }),
  tfjs: (ctx, _layer, x) => ({ ...x, t: ctx.tf.softmax(x.t) }),
});
