/**
 * `batchnorm`: PyTorch `nn.BatchNorm1d/2d` at inference, normalizing with the
 * running statistics over the channel axis of `[B, C]`, `[B, C, L]` or
 * `[B, C, H, W]`. Parameters `weight`, `bias`, `running_mean`, `running_var`
 * (all `[C]`); `num_batches_tracked` is ignored.
 *
 * Vectorized as one multiply-add with per-member scale and shift folded from
 * the four tensors (`scale = weight / sqrt(var + eps)`, computed in float64).
 */
import { z } from 'zod';
import { formatShape } from '../tensor/tensor.js';
import { layerName, positiveInt } from './layer-fields.js';
import { defineOp } from './op-definition.js';

export const batchnormLayer = z
  .object({ op: z.literal('batchnorm'), name: layerName, features: positiveInt, eps: z.number().positive().default(1e-5) })
  .strict();
export type BatchnormLayer = z.infer<typeof batchnormLayer>;

export const batchnorm = defineOp<BatchnormLayer>({
  op: 'batchnorm',
  schema: batchnormLayer,
  inferShape(layer, input) {
    if (input.length < 1 || input.length > 3 || input[0] !== layer.features) {
      return {
        problems: [
          `expects a [${layer.features}], [${layer.features}, L] or [${layer.features}, H, W] input but receives ${formatShape(input)}`,
        ],
        shape: input,
      };
    }
    return { shape: input };
  },
  parameters: (layer) => {
    const channel = [layer.features];
    return { weight: channel, bias: channel, running_mean: channel, running_var: channel };
  },
  ignorableBuffers: ['num_batches_tracked'],
  reference(layer, x, params) {
    const channels = x.shape[1] as number;
    const inner = x.data.length / ((x.shape[0] as number) * channels);
    const data = new Float64Array(x.data.length);
    for (let i = 0; i < data.length; i++) {
      const c = Math.floor(i / inner) % channels;
      const normalized =
        ((x.data[i] as number) - (params.running_mean?.[c] as number)) / Math.sqrt((params.running_var?.[c] as number) + layer.eps);
      data[i] = normalized * (params.weight?.[c] as number) + (params.bias?.[c] as number);
    }
    return { shape: x.shape, data };
  },
  onnx(ctx, layer, x) {
    const [weight, bias, mean, variance] = ['weight', 'bias', 'running_mean', 'running_var'].map((s) => ctx.parameter(s)) as [
      Float32Array,
      Float32Array,
      Float32Array,
      Float32Array,
    ];
    const scale = new Float32Array(weight.length);
    const shift = new Float32Array(weight.length);
    for (let i = 0; i < weight.length; i++) {
      const s = (weight[i] as number) / Math.sqrt((variance[i] as number) + layer.eps);
      scale[i] = s;
      shift[i] = (bias[i] as number) - (mean[i] as number) * s;
    }
    const trailing = x.sample.slice(1).map(() => 1);
    const dims = x.layout === 'grouped' ? [1, ctx.members * layer.features, ...trailing] : [ctx.members, 1, layer.features, ...trailing];
    const scaled = ctx.graph.node('Mul', [x.name, ctx.graph.constant('bn_scale', dims, scale)]);
    const name = ctx.graph.node('Add', [scaled, ctx.graph.constant('bn_shift', dims, shift)]);
    return { name, layout: x.layout === 'grouped' ? 'grouped' : 'members', sample: x.sample };
  },
  tfjs(ctx, layer, x) {
    const { tf } = ctx;
    const dims = [ctx.members, 1, layer.features, ...x.sample.slice(1).map(() => 1)];
    const scale = ctx.constant('scale', () =>
      tf.reshape(tf.div(ctx.parameter('weight'), tf.sqrt(tf.add(ctx.parameter('running_var'), layer.eps))), dims),
    );
    const shift = ctx.constant('shift', () =>
      tf.sub(tf.reshape(ctx.parameter('bias'), dims), tf.mul(tf.reshape(ctx.parameter('running_mean'), dims), scale)),
    );
    return { t: tf.add(tf.mul(x.t, scale), shift), layout: 'members', sample: x.sample };
  },
});
