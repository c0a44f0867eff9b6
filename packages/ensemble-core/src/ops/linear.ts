/**
 * `linear`: PyTorch `nn.Linear`, `y = x Wᵀ + b` over the last axis.
 * Parameters `weight [out, in]`, `bias [out]`.
 */

import type { Tensor, Tensor2D } from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { BatchRange, VectorValue } from '../kernels/onnx-kernel.js';
import { rank1 } from '../kernels/tfjs-kernel.js';
import { formatShape } from '../tensor/tensor.js';
import { layerName, positiveInt } from './layer-fields.js';
import { defineOp } from './op-definition.js';

/**
 * From this many weights per member (in x out: 512 KiB of float32), a layer whose input holds
 * one minibatch per member runs as N 2-D products (a Slice, a MatMul on an [in, out] constant,
 * one Concat) instead of one batched MatMul on [N, in, out]. ONNX Runtime packs a MatMul's
 * constant right operand once, when the session is created, but only a 2-D one: a batched one
 * is packed again on every pass, a copy of every weight. The N products copy the input and
 * the output instead (Slices, Concat), and pay a node per member.
 *
 * The graph is built before the batch size is known, so the rule goes by the weights alone.
 * Measured on two cores (N = 10 unless said, both forms in one process, passes interleaved,
 * CPU time per pass), N products against one batched product: 512x256, 784x256, 1024x256,
 * 256x1024 and 512x512 1.3-2.4x at batches 8 and 64; the wide MLPs (N = 64, 784x512 and
 * 512x512) 1.8-2.3x at batches 1 and 16, 1.3x at 64. At batch 1 (passes under 0.7 ms) the
 * same layers ran 0.6-2.1x, within the noise. Below this size the repacking costs too
 * little against the copies at some batch: the seed MLPs' 784x128 ran 1.2-1.7x at batch 8
 * but 0.8-1.2x at batch 64 and 0.86-0.98x at batch 1; 128x128 and 128x32 0.8-1.0x.
 * A single member (the loop strategy's graphs) always gets its 2-D constant.
 */
export const PER_MEMBER_PRODUCTS_MIN_WEIGHTS = 2 ** 17;

/**
 * From this many weights per member up to PER_MEMBER_PRODUCTS_MIN_WEIGHTS, a layer that
 * narrows (in > out) and whose input holds one minibatch per member (one axis per sample)
 * runs at batches in TRANSPOSED_BATCHES as one batched product of the stacked PyTorch
 * weights `[N, out, in]` by the transposed input `[N, in, B]`, then transposed back. ONNX
 * Runtime folds the input's transpose into the product (FusedMatMul) and cancels the
 * transposes between two such layers; what it packs on every pass is then the input
 * (in x B, in columns of 16) instead of the weights (in x out), and nothing is copied per
 * member. What it adds is the transpose back, out x B, which a narrowing layer keeps
 * smaller than the packing it saves.
 *
 * Measured on two cores (N = 10, forms in one process, passes interleaved, ONNX Runtime's
 * node times, each layer alone, so with both transposes): the product of the seed MLPs'
 * 784x128 1.25-2.0x faster at batches 16 to 64 (the whole per-member pass 1.15-1.5x),
 * 1.1x at 128 and even at 256; 512x128, 384x256 and 1024x96 1.1-1.7x at batches 16 to 64,
 * the layer with its transposes 0.8-1.25x for 512x128, 1.0-1.4x for the others. Layers that
 * do not narrow lost to their transpose back at batch 64: 256x256 0.75-0.96x, 192x512
 * 0.9x, 64x1024 0.7x. Below 64 Ki weights the product gains less (128x128 1.0-1.3x) and
 * the transposes weigh more: 256x128 0.9x at batch 64, 784x10 0.75x at 32. Above
 * PER_MEMBER_PRODUCTS_MIN_WEIGHTS the N 2-D products on packed-once weights stay: 1.5x
 * faster than this form for 784x512 at batch 64.
 */
export const TRANSPOSED_MIN_WEIGHTS = 2 ** 16;
/**
 * The batches the transposed form runs at. Below 16 the input fills less than one
 * column panel of 16 and the padding costs more than the packed weights (a batch of 1:
 * 3x slower); the whole seed pass broke even at 8 (0.99-1.33x). From 128 the two forms
 * pack about as much, and the batched product needs no transposes.
 */
export const TRANSPOSED_BATCHES: BatchRange = { min: 16, max: 127 };

export const linearLayer = z
  .object({ op: z.literal('linear'), name: layerName, in: positiveInt, out: positiveInt, bias: z.boolean().default(true) })
  .strict();
export type LinearLayer = z.infer<typeof linearLayer>;

export const linear = defineOp<LinearLayer>({
  op: 'linear',
  schema: linearLayer,
  inferShape(layer, input) {
    const output = [...input.slice(0, -1), layer.out];
    if (input.length === 0) return { problems: ['needs an input with at least one axis'], shape: [layer.out] };
    if (input.at(-1) !== layer.in) {
      return { problems: [`expects ${layer.in} input features but receives ${formatShape(input)}`], shape: output };
    }
    return { shape: output };
  },
  parameters: (layer) => ({ weight: [layer.out, layer.in], ...(layer.bias ? { bias: [layer.out] } : {}) }),
  multiplyAdds: (layer, input) => input.slice(0, -1).reduce((a, b) => a * b, 1) * layer.in * layer.out,
  reference(layer, x, params) {
    const weight = params.weight as Float64Array;
    const rows = x.data.length / layer.in;
    const data = new Float64Array(rows * layer.out);
    for (let r = 0; r < rows; r++) {
      for (let o = 0; o < layer.out; o++) {
        let sum = params.bias ? (params.bias[o] as number) : 0;
        for (let i = 0; i < layer.in; i++) sum += (x.data[r * layer.in + i] as number) * (weight[o * layer.in + i] as number);
        data[r * layer.out + o] = sum;
      }
    }
    return { shape: [...x.shape.slice(0, -1), layer.out], data };
  },
  onnx(ctx, layer, input) {
    const x = input.layout === 'grouped' ? ctx.toMembers(input) : input;
    const n = ctx.members;
    const weight = ctx.parameter('weight');
    const bias = layer.bias ? ctx.parameter('bias') : undefined;
    const sample = [...x.sample.slice(0, -1), layer.out];

    if (x.layout === 'shared' && x.sample.length === 1) {
      // Same input for every member: one wide GEMM [B, in] x [in, N*out].
      const wide = ctx.graph.constant(
        'linear_wide_weight',
        [layer.in, n * layer.out],
        transposeMembers(weight, n, layer.out, layer.in, true),
      );
      let y = ctx.graph.node('MatMul', [x.name, wide]);
      if (bias) y = ctx.graph.node('Add', [y, ctx.graph.constant('linear_bias', [n * layer.out], bias)]);
      const split = ctx.graph.node('Reshape', [y, ctx.graph.int64s('split_members', [0, n, layer.out])]);
      const name = ctx.graph.node('Transpose', [split], { perm: { kind: 'ints', value: [1, 0, 2] } });
      return { name, layout: 'members', sample };
    }

    const ones = x.sample.map(() => 1);
    const biasShape = [n, ...ones, layer.out];
    if (x.layout === 'members' && (n === 1 || layer.in * layer.out >= PER_MEMBER_PRODUCTS_MIN_WEIGHTS)) {
      // N 2-D products on [in, out] constants that ONNX Runtime packs once (see PER_MEMBER_PRODUCTS_MIN_WEIGHTS).
      const perMember = transposeMembers(weight, n, layer.out, layer.in, false);
      const size = layer.in * layer.out;
      const memberWeight = (m: number) =>
        ctx.graph.constant('linear_weight', [layer.in, layer.out], perMember.subarray(m * size, (m + 1) * size));
      let y: string;
      if (n === 1) {
        y = ctx.graph.node('MatMul', [x.name, memberWeight(0)]);
      } else {
        const axes = ctx.graph.int64s('member_axis', [0]);
        const products = Array.from({ length: n }, (_, m) => {
          const rows = ctx.graph.node('Slice', [
            x.name,
            ctx.graph.int64s('member_start', [m]),
            ctx.graph.int64s('member_end', [m + 1]),
            axes,
          ]);
          return ctx.graph.node('MatMul', [rows, memberWeight(m)]);
        });
        y = ctx.graph.node('Concat', products, { axis: { kind: 'int', value: 0 } });
      }
      if (bias) y = ctx.graph.node('Add', [y, ctx.graph.constant('linear_bias', biasShape, bias)]);
      return { name: y, layout: 'members', sample };
    }

    const weights = layer.in * layer.out;
    const narrows = layer.in > layer.out;
    if (
      x.layout === 'members' &&
      x.sample.length === 1 &&
      narrows &&
      weights >= TRANSPOSED_MIN_WEIGHTS &&
      ctx.batchIn(TRANSPOSED_BATCHES)
    ) {
      // The transposed form (see TRANSPOSED_MIN_WEIGHTS): [N, out, in] x [N, in, B], bias, back to [N, B, out].
      const perm = { kind: 'ints', value: [0, 2, 1] } as const;
      const columns = ctx.graph.node('Transpose', [x.name], { perm });
      let y = ctx.graph.node('MatMul', [ctx.graph.constant('linear_weight', [n, layer.out, layer.in], weight), columns]);
      if (bias) y = ctx.graph.node('Add', [y, ctx.graph.constant('linear_bias', [n, layer.out, 1], bias)]);
      return { name: ctx.graph.node('Transpose', [y], { perm }), layout: 'members', sample };
    }

    // One batched MatMul against [N, 1.., in, out]; a shared input broadcasts over N.
    const w = ctx.graph.constant(
      'linear_weight',
      [n, ...ones.slice(1), layer.in, layer.out],
      transposeMembers(weight, n, layer.out, layer.in, false),
    );
    let y = ctx.graph.node('MatMul', [x.name, w]);
    if (bias) y = ctx.graph.node('Add', [y, ctx.graph.constant('linear_bias', biasShape, bias)]);
    return { name: y, layout: 'members', sample } satisfies VectorValue;
  },
  tfjs(ctx, layer, x) {
    const { tf } = ctx;
    const n = ctx.members;
    const sample = [...x.sample.slice(0, -1), layer.out];
    const bias = layer.bias ? ctx.parameter('bias') : undefined;
    let y: Tensor;
    if (ctx.batchedKernels && x.layout === 'shared') {
      // Same input for every member: one wide GEMM [rows, in] x [in, N*out].
      const wide = ctx.constant('wide', () => tf.reshape(tf.transpose(ctx.parameter('weight'), [2, 0, 1]), [layer.in, n * layer.out]));
      const rows = tf.fused.matMul({
        a: tf.reshape(x.t, [-1, layer.in]) as Tensor2D,
        b: wide as Tensor2D,
        ...(bias ? { bias: ctx.constant('wide-bias', () => rank1(tf, bias)) } : {}),
      });
      y = tf.transpose(tf.reshape(rows, [-1, n, layer.out]), [1, 0, 2]);
    } else if (ctx.batchedKernels) {
      const weights = ctx.constant('weights', () => tf.transpose(ctx.parameter('weight'), [0, 2, 1])); // [N, in, out]
      y = tf.matMul(tf.reshape(x.t, [n, -1, layer.in]), weights);
      if (bias) y = tf.add(y, tf.reshape(bias, [n, 1, layer.out]));
    } else {
      // N 2-D products inside the pass, on weights transposed once and kept
      // (the kernels cache their packed form per weight tensor).
      if (n > 1) ctx.note(`linear ${layer.name} runs as ${n} 2-D products: faster than one batched or wide product on this backend`);
      const inputs = x.layout === 'shared' ? new Array<Tensor>(n).fill(x.t) : ctx.split(x.t);
      const products = inputs.map((a, m) => {
        const b = ctx.constant(`weight-${m}`, () =>
          tf.transpose(tf.squeeze(tf.slice(ctx.parameter('weight'), [m, 0, 0], [1, -1, -1]), [0])),
        );
        const memberBias = bias && ctx.constant(`bias-${m}`, () => rank1(tf, tf.slice(bias, [m, 0], [1, -1])));
        return tf.fused.matMul({
          a: tf.reshape(a, [-1, layer.in]) as Tensor2D,
          b: b as Tensor2D,
          ...(memberBias ? { bias: memberBias } : {}),
        });
      });
      y = tf.stack(products);
    }
    return { t: tf.reshape(y, [n, -1, ...sample]), layout: 'members', sample };
  },
});

/**
 * Stacked PyTorch weights `[N, out, in]` to `[N, in, out]`, or with `wide` to
 * `[in, N*out]` (member-major columns).
 */
function transposeMembers(weight: Float32Array, n: number, out: number, inputs: number, wide: boolean): Float32Array {
  const result = new Float32Array(weight.length);
  for (let m = 0; m < n; m++) {
    const base = m * out * inputs;
    for (let o = 0; o < out; o++) {
      for (let i = 0; i < inputs; i++) {
        const target = wide ? i * n * out + m * out + o : base + i * out + o;
        result[target] = weight[base + o * inputs + i] as number;
      }
    }
  }
  return result;
}
