/**
 * `layernorm`: PyTorch `nn.LayerNorm(features)` over the last axis (biased
 * variance). Parameters `weight [features]`, `bias [features]`.
 *
 * Vectorized as ONNX `LayerNormalization` without affine terms (the same for
 * every member) followed by the per-member affine transform, broadcast over
 * the member axis.
 */
import { z } from 'zod';
import { formatShape } from '../tensor/tensor.js';
import { layerName, positiveInt } from './layer-fields.js';
import { defineOp } from './op-definition.js';

export const layernormLayer = z
  .object({ op: z.literal('layernorm'), name: layerName, features: positiveInt, eps: z.number().positive().default(1e-5) })
  .strict();
export type LayernormLayer = z.infer<typeof layernormLayer>;

export const layernorm = defineOp<LayernormLayer>({
  op: 'layernorm',
  schema: layernormLayer,
  inferShape(layer, input) {
    if (input.at(-1) !== layer.features) {
      return { problems: [`normalizes ${layer.features} features over the last axis but receives ${formatShape(input)}`], shape: input };
    }
    return { shape: input };
  },
  parameters: (layer) => ({ weight: [layer.features], bias: [layer.features] }),
  reference(layer, x, params) {
    const f = layer.features;
    const data = new Float64Array(x.data.length);
    for (let start = 0; start < data.length; start += f) {
      let mean = 0;
      for (let i = 0; i < f; i++) mean += x.data[start + i] as number;
      mean /= f;
      let variance = 0;
      for (let i = 0; i < f; i++) variance += ((x.data[start + i] as number) - mean) ** 2;
      variance /= f;
      const inv = 1 / Math.sqrt(variance + layer.eps);
      for (let i = 0; i < f; i++) {
        data[start + i] = ((x.data[start + i] as number) - mean) * inv * (params.weight?.[i] as number) + (params.bias?.[i] as number);
      }
    }
    return { shape: x.shape, data };
  },
  onnx(ctx, layer, input) {
    const x = input.layout === 'grouped' ? ctx.toMembers(input) : input;
    const f = layer.features;
    const normalized = ctx.graph.node(
      'LayerNormalization',
      [x.name, ctx.graph.constant('ln_ones', [f], new Float32Array(f).fill(1)), ctx.graph.constant('ln_zeros', [f], new Float32Array(f))],
      { axis: { kind: 'int', value: -1 }, epsilon: { kind: 'float', value: layer.eps } },
    );
    const affineDims = [ctx.members, 1, ...x.sample.slice(0, -1).map(() => 1), f];
    const scaled = ctx.graph.node('Mul', [normalized, ctx.graph.constant('ln_weight', affineDims, ctx.parameter('weight'))]);
    const name = ctx.graph.node('Add', [scaled, ctx.graph.constant('ln_bias', affineDims, ctx.parameter('bias'))]);
    return { name, layout: 'members', sample: x.sample };
  },
  tfjs(ctx, layer, x) {
    const { tf } = ctx;
    const { mean, variance } = tf.moments(x.t, -1, true);
    const normalized = tf.mul(tf.sub(x.t, mean), tf.rsqrt(tf.add(variance, layer.eps)));
    const dims = [ctx.members, 1, ...x.sample.slice(0, -1).map(() => 1), layer.features];
    const weight = tf.reshape(ctx.parameter('weight'), dims);
    return { t: tf.add(tf.mul(normalized, weight), tf.reshape(ctx.parameter('bias'), dims)), layout: 'members', sample: x.sample };
  },
});
