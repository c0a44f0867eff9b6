/**
 * `globalavgpool2d`: PyTorch `nn.AdaptiveAvgPool2d(1)` (ONNX
 * `GlobalAveragePool`): the mean of each channel's plane, `[C, H, W]` to
 * `[C, 1, 1]`. No fields, no parameters.
 *
 * Per channel, so it runs on any layout: `GlobalAveragePool` on the shared
 * and grouped layouts, the members layout folded into the batch around it.
 */
import { z } from 'zod';
import { formatShape } from '../tensor/tensor.js';
import { defineOp } from './op-definition.js';

export const globalavgpool2dLayer = z.object({ op: z.literal('globalavgpool2d') }).strict();
export type Globalavgpool2dLayer = z.infer<typeof globalavgpool2dLayer>;

export const globalavgpool2d = defineOp<Globalavgpool2dLayer>({
  op: 'globalavgpool2d',
  schema: globalavgpool2dLayer,
  inferShape(_layer, input) {
    if (input.length !== 3) return { problems: [`expects a [C, H, W] input but receives ${formatShape(input)}`] };
    return { shape: [input[0] as number, 1, 1] };
  },
  reference(_layer, x) {
    const [batch, channels, height, width] = x.shape as [number, number, number, number];
    const plane = height * width;
    const data = new Float64Array(batch * channels);
    for (let p = 0; p < data.length; p++) {
      let sum = 0;
      for (let i = 0; i < plane; i++) sum += x.data[p * plane + i] as number;
      data[p] = sum / plane;
    }
    return { shape: [batch, channels, 1, 1], data };
  },
  onnx(ctx, _layer, x) {
    const [channels, height, width] = x.sample as [number, number, number];
    const sample = [channels, 1, 1];
    if (x.layout !== 'members') return { name: ctx.graph.node('GlobalAveragePool', [x.name]), layout: x.layout, sample };
    // [N, B, C, H, W] → [N*B, C, H, W] → pool → [N, B, C, 1, 1].
    const flat = ctx.graph.node('Reshape', [x.name, ctx.graph.int64s('pool_in', [-1, channels, height, width])]);
    const pooled = ctx.graph.node('GlobalAveragePool', [flat]);
    const name = ctx.graph.node('Reshape', [pooled, ctx.graph.int64s('pool_out', [ctx.members, -1, ...sample])]);
    return { name, layout: 'members', sample };
  },
  tfjs(ctx, _layer, x) {
    const rank = x.t.shape.length;
    return { t: ctx.tf.mean(x.t, [rank - 2, rank - 1], true), layout: x.layout, sample: [x.sample[0] as number, 1, 1] };
  },
});
