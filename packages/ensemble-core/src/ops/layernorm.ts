/**
 * `layernorm`: PyTorch `nn.LayerNorm(normalized_shape, eps=1e-5,
 * elementwise_affine=True, bias=True)` with biased variance. `features` is
 * the normalized shape: a number normalizes the last axis, a list the
 * trailing axes of that shape. Parameters `weight` and `bias`, each of the
 * normalized shape: with `elementwiseAffine: false` neither, with
 * `bias: false` no `bias`.
 *
 * Vectorized as one ONNX `LayerNormalization` whose scale and bias are the
 * stacked `[N, 1, ..., features]` parameters, broadcast member by member
 * (ONNX Runtime allows it); a shared input is normalized once, without
 * affine terms, and then transformed per member.
 */
import { z } from 'zod';
import { formatShape } from '../tensor/tensor.js';
import { layerName, positiveInt } from './layer-fields.js';
import { defineOp } from './op-definition.js';

export const layernormLayer = z
  .object({
    op: z.literal('layernorm'),
    name: layerName,
    features: z.union([positiveInt, z.array(positiveInt).min(1).max(8)]),
    eps: z.number().positive().default(1e-5),
    elementwiseAffine: z.boolean().default(true),
    bias: z.boolean().default(true),
  })
  .strict();
export type LayernormLayer = z.infer<typeof layernormLayer>;

/** The normalized (trailing) shape. */
function normalizedShape(layer: LayernormLayer): number[] {
  return typeof layer.features === 'number' ? [layer.features] : [...layer.features];
}

export const layernorm = defineOp<LayernormLayer>({
  op: 'layernorm',
  schema: layernormLayer,
  inferShape(layer, input) {
    const shape = normalizedShape(layer);
    const trailing = input.slice(Math.max(0, input.length - shape.length));
    if (trailing.length !== shape.length || trailing.some((dim, i) => dim !== shape[i])) {
      const what =
        typeof layer.features === 'number'
          ? `normalizes ${layer.features} features over the last axis`
          : `normalizes the trailing ${formatShape(shape)} axes (features)`;
      return { problems: [`${what} but receives ${formatShape(input)}`], shape: input };
    }
    return { shape: input };
  },
  parameters(layer): Record<string, number[]> {
    if (!layer.elementwiseAffine) return {};
    const shape = normalizedShape(layer);
    return layer.bias ? { weight: shape, bias: shape } : { weight: shape };
  },
  reference(layer, x, params) {
    const f = normalizedShape(layer).reduce((a, b) => a * b, 1);
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
        const weight = params.weight ? (params.weight[i] as number) : 1;
        const bias = params.bias ? (params.bias[i] as number) : 0;
        data[start + i] = ((x.data[start + i] as number) - mean) * inv * weight + bias;
      }
    }
    return { shape: x.shape, data };
  },
  onnx(ctx, layer, input) {
    const shape = normalizedShape(layer);
    const f = shape.reduce((a, b) => a * b, 1);
    // Grouped channels mix the member axis in: normalizing over them needs the members apart.
    const x = input.layout === 'grouped' && (layer.elementwiseAffine || shape.length >= input.sample.length) ? ctx.toMembers(input) : input;
    const attributes = { axis: { kind: 'int', value: -shape.length }, epsilon: { kind: 'float', value: layer.eps } } as const;
    const affineDims = [ctx.members, 1, ...x.sample.slice(0, -shape.length).map(() => 1), ...shape];
    const weight = () => ctx.graph.constant('ln_weight', affineDims, ctx.parameter('weight'));
    const bias = () => ctx.graph.constant('ln_bias', affineDims, ctx.parameter('bias'));
    if (layer.elementwiseAffine && x.layout === 'members') {
      // ONNX Runtime broadcasts per-member scale and bias against the input: one pass.
      const name = ctx.graph.node('LayerNormalization', [x.name, weight(), ...(layer.bias ? [bias()] : [])], attributes);
      return { name, layout: 'members', sample: x.sample };
    }
    const ones = ctx.graph.constant('ln_ones', shape, new Float32Array(f).fill(1));
    const normalized = ctx.graph.node('LayerNormalization', [x.name, ones], attributes);
    if (!layer.elementwiseAffine) return { ...x, name: normalized };
    // A shared input is normalized once; each member's affine transform makes the members.
    let name = ctx.graph.node('Mul', [normalized, weight()]);
    if (layer.bias) name = ctx.graph.node('Add', [name, bias()]);
    return { name, layout: 'members', sample: x.sample };
  },
  tfjs(ctx, layer, x) {
    const { tf } = ctx;
    const shape = normalizedShape(layer);
    const axes = shape.map((_, i) => x.t.shape.length - shape.length + i);
    const { mean, variance } = tf.moments(x.t, axes, true);
    const normalized = tf.mul(tf.sub(x.t, mean), tf.rsqrt(tf.add(variance, layer.eps)));
    if (!layer.elementwiseAffine) return { ...x, t: normalized };
    const dims = [ctx.members, 1, ...x.sample.slice(0, -shape.length).map(() => 1), ...shape];
    let t = tf.mul(normalized, tf.reshape(ctx.parameter('weight'), dims));
    if (layer.bias) t = tf.add(t, tf.reshape(ctx.parameter('bias'), dims));
    return { t, layout: 'members', sample: x.sample };
  },
});
