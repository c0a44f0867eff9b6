/**
 * `conv2d`: PyTorch `nn.Conv2d` on NCHW with a square kernel.
 * Parameters `weight [out, in, k, k]`, `bias [out]`.
 *
 * Vectorized as one grouped convolution (`group = N`) over member-stacked
 * channels; a shared input needs no grouping: one convolution with `N*out`
 * output channels computes every member at once.
 */
import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { channelsFirst, channelsLast, rank1 } from '../kernels/tfjs-kernel.js';
import { formatShape } from '../tensor/tensor.js';
import { layerName, nonNegativeInt, positiveInt } from './layer-fields.js';
import { defineOp } from './op-definition.js';

export const conv2dLayer = z
  .object({
    op: z.literal('conv2d'),
    name: layerName,
    in: positiveInt,
    out: positiveInt,
    kernel: positiveInt,
    stride: positiveInt.default(1),
    padding: nonNegativeInt.default(0),
    bias: z.boolean().default(true),
  })
  .strict();
export type Conv2dLayer = z.infer<typeof conv2dLayer>;

/** Output length of a sliding window along one axis (PyTorch's floor rule). */
export function windowOutput(size: number, kernel: number, stride: number, padding = 0): number {
  return Math.floor((size + 2 * padding - kernel) / stride) + 1;
}

export const conv2d = defineOp<Conv2dLayer>({
  op: 'conv2d',
  schema: conv2dLayer,
  inferShape(layer, input) {
    if (input.length !== 3) return { problems: [`expects a [C, H, W] input but receives ${formatShape(input)}`] };
    const [channels, height, width] = input as [number, number, number];
    const outH = windowOutput(height, layer.kernel, layer.stride, layer.padding);
    const outW = windowOutput(width, layer.kernel, layer.stride, layer.padding);
    const problems: string[] = [];
    if (channels !== layer.in) problems.push(`expects ${layer.in} input channels but receives ${formatShape(input)}`);
    if (outH < 1 || outW < 1) {
      problems.push(`kernel ${layer.kernel} with padding ${layer.padding} does not fit the ${height}x${width} input`);
    }
    const shape = [layer.out, Math.max(outH, 1), Math.max(outW, 1)];
    return problems.length > 0 ? { problems, shape } : { shape };
  },
  parameters: (layer) => ({
    weight: [layer.out, layer.in, layer.kernel, layer.kernel],
    ...(layer.bias ? { bias: [layer.out] } : {}),
  }),
  multiplyAdds: (layer, _input, output) => output.reduce((a, b) => a * b, 1) * layer.in * layer.kernel * layer.kernel,
  reference(layer, x, params) {
    const [batch, channels, height, width] = x.shape as [number, number, number, number];
    const { kernel: k, stride, padding, out } = layer;
    const outH = windowOutput(height, k, stride, padding);
    const outW = windowOutput(width, k, stride, padding);
    const weight = params.weight as Float64Array;
    const data = new Float64Array(batch * out * outH * outW);
    let index = 0;
    for (let b = 0; b < batch; b++) {
      for (let o = 0; o < out; o++) {
        for (let oy = 0; oy < outH; oy++) {
          for (let ox = 0; ox < outW; ox++) {
            let sum = params.bias ? (params.bias[o] as number) : 0;
            for (let c = 0; c < channels; c++) {
              for (let ky = 0; ky < k; ky++) {
                const y = oy * stride + ky - padding;
                if (y < 0 || y >= height) continue;
                for (let kx = 0; kx < k; kx++) {
                  const xx = ox * stride + kx - padding;
                  if (xx < 0 || xx >= width) continue;
                  sum +=
                    (x.data[((b * channels + c) * height + y) * width + xx] as number) *
                    (weight[((o * channels + c) * k + ky) * k + kx] as number);
                }
              }
            }
            data[index++] = sum;
          }
        }
      }
    }
    return { shape: [batch, out, outH, outW], data };
  },
  onnx(ctx, layer, input) {
    const n = ctx.members;
    const shared = input.layout === 'shared';
    const x = shared ? input : ctx.toGrouped(input);
    // Stacked [N, out, in, k, k] is already the [N*out, in, k, k] a grouped Conv wants.
    const weight = ctx.graph.constant('conv_weight', [n * layer.out, layer.in, layer.kernel, layer.kernel], ctx.parameter('weight'));
    const inputs = [x.name, weight];
    if (layer.bias) inputs.push(ctx.graph.constant('conv_bias', [n * layer.out], ctx.parameter('bias')));
    const [, height, width] = x.sample as [number, number, number];
    const name = ctx.graph.node('Conv', inputs, {
      group: { kind: 'int', value: shared ? 1 : n },
      kernel_shape: { kind: 'ints', value: [layer.kernel, layer.kernel] },
      strides: { kind: 'ints', value: [layer.stride, layer.stride] },
      pads: { kind: 'ints', value: [layer.padding, layer.padding, layer.padding, layer.padding] },
    });
    const sample = [
      layer.out,
      windowOutput(height, layer.kernel, layer.stride, layer.padding),
      windowOutput(width, layer.kernel, layer.stride, layer.padding),
    ];
    return { name, layout: 'grouped', sample };
  },
  tfjs(ctx, layer, x) {
    const { tf } = ctx;
    const n = ctx.members;
    const [, height, width] = x.sample as [number, number, number];
    const [outH, outW] = [
      windowOutput(height, layer.kernel, layer.stride, layer.padding),
      windowOutput(width, layer.kernel, layer.stride, layer.padding),
    ];
    const sample = [layer.out, outH, outW];
    const conv = (input: Tensor4D, filter: Tensor, b: Tensor | undefined) =>
      tf.fused.conv2d({ x: input, filter: filter as Tensor4D, strides: layer.stride, pad: layer.padding, ...(b ? { bias: b } : {}) });

    if (x.layout === 'shared' && ctx.batchedKernels) {
      // A shared input needs no grouping: one convolution with N*out filters.
      // PyTorch [N, out, in, k, k] → TensorFlow.js [k, k, in, N*out].
      const filters = ctx.constant('filters', () =>
        tf.reshape(tf.transpose(ctx.parameter('weight'), [3, 4, 2, 0, 1]), [layer.kernel, layer.kernel, layer.in, n * layer.out]),
      );
      const bias = layer.bias ? ctx.constant('bias', () => rank1(tf, ctx.parameter('bias'))) : undefined;
      const y = channelsFirst(tf, conv(channelsLast(tf, x.t), filters, bias)); // [B, N*out, H', W']
      // Member axis first with 3-D transposes only (higher-rank ones are slow in some backends).
      const t = tf.reshape(tf.transpose(tf.reshape(y, [-1, n, layer.out * outH * outW]), [1, 0, 2]), [n, -1, ...sample]);
      return { t, layout: 'members', sample };
    }

    ctx.note(
      x.layout === 'members'
        ? `conv2d ${layer.name} runs once per member on member inputs: TensorFlow.js has no grouped convolution`
        : `conv2d ${layer.name} runs once per member: faster than one convolution with ${n * layer.out} filters on this backend`,
    );
    const inputs =
      x.layout === 'shared' ? new Array<Tensor4D>(n).fill(channelsLast(tf, x.t)) : ctx.split(x.t).map((xm) => channelsLast(tf, xm));
    const members = inputs.map((input, m) => {
      const filter = ctx.constant(`filter-${m}`, () =>
        tf.transpose(tf.squeeze(tf.slice(ctx.parameter('weight'), [m, 0, 0, 0, 0], [1, -1, -1, -1, -1]), [0]), [2, 3, 1, 0]),
      );
      const bias = layer.bias ? ctx.constant(`bias-${m}`, () => rank1(tf, tf.slice(ctx.parameter('bias'), [m, 0], [1, -1]))) : undefined;
      return channelsFirst(tf, conv(input, filter, bias));
    });
    return { t: tf.stack(members), layout: 'members', sample };
  },
});
