/**
 * `batchnorm`: PyTorch `nn.BatchNorm1d/2d(features, eps=1e-5, affine=True)`
 * at inference, normalizing with the running statistics over the channel axis
 * of `[B, C]`, `[B, C, L]` or `[B, C, H, W]`. Parameters `running_mean`,
 * `running_var` and, unless `affine` is false, `weight`, `bias` (all `[C]`);
 * `num_batches_tracked` is ignored. (`momentum` only matters in training;
 * `track_running_stats=False` modules, which normalize with batch statistics,
 * are not supported.)
 *
 * Vectorized as one multiply-add with per-member scale and shift folded from
 * the stored tensors (`scale = weight / sqrt(var + eps)`, weight 1 and bias 0
 * without `affine`, computed in float64).
 */
import { z } from 'zod';
import { formatShape } from '../tensor/tensor.js';
import { layerName, positiveInt } from './layer-fields.js';
import { defineOp } from './op-definition.js';

export const batchnormLayer = z
  .object({
    op: z.literal('batchnorm'),
    name: layerName,
    features: positiveInt,
    eps: z.number().positive().default(1e-5),
    affine: z.boolean().default(true),
  })
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
    return { ...(layer.affine ? { weight: channel, bias: channel } : {}), running_mean: channel, running_var: channel };
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
      data[i] = params.weight && params.bias ? normalized * (params.weight[c] as number) + (params.bias[c] as number) : normalized;
    }
    return { shape: x.shape, data };
  },
  onnx(ctx, layer, x) {
    const [mean, variance] = [ctx.parameter('running_mean'), ctx.parameter('running_var')];
    const weight = layer.affine ? ctx.parameter('weight') : undefined;
    const bias = layer.affine ? ctx.parameter('bias') : undefined;
    const scale = new Float32Array(mean.length);
    const shift = new Float32Array(mean.length);
    for (let i = 0; i < mean.length; i++) {
      const s = (weight ? (weight[i] as number) : 1) / Math.sqrt((variance[i] as number) + layer.eps);
      scale[i] = s;
      shift[i] = (bias ? (bias[i] as number) : 0) - (mean[i] as number) * s;
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
    const scale = ctx.constant('scale', () => {
      const root = tf.sqrt(tf.add(ctx.parameter('running_var'), layer.eps));
      return tf.reshape(layer.affine ? tf.div(ctx.parameter('weight'), root) : tf.reciprocal(root), dims);
    });
    const shift = ctx.constant('shift', () => {
      const shifted = tf.neg(tf.mul(tf.reshape(ctx.parameter('running_mean'), dims), scale));
      return layer.affine ? tf.add(tf.reshape(ctx.parameter('bias'), dims), shifted) : shifted;
    });
    return { t: tf.add(tf.mul(x.t, scale), shift), layout: 'members', sample: x.sample };
  },
});
