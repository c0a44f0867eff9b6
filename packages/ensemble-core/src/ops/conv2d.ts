/**
 * `conv2d`: PyTorch `nn.Conv2d(in, out, kernel, stride=1, padding=0,
 * dilation=1, groups=1, bias=True)` on NCHW. `kernel`, `stride`, `padding`
 * and `dilation` are each one number for both spatial axes or a
 * `[height, width]` pair; `in` and `out` must be divisible by `groups`
 * (`groups = in` is a depthwise convolution). Parameters
 * `weight [out, in/groups, kh, kw]`, `bias [out]`.
 *
 * Vectorized as one grouped convolution (`group = N * groups`) over
 * member-stacked channels: the stacked weights `[N, out, ...]` already hold
 * each member's groups one after the other. A shared input needs no
 * stacking: one convolution with `N*out` output channels (`group = groups`,
 * weights reordered group-major) computes every member at once; with
 * `groups > 1` its output channels are then regrouped member-major. On
 * ONNX Runtime, an image stem on per-member inputs (few input channels)
 * runs as N convolutions instead, concatenated along channels.
 */
import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { channelsFirst, channelsLast, rank1, type TfjsLayerContext, type TfjsValue } from '../kernels/tfjs-kernel.js';
import { formatShape } from '../tensor/tensor.js';
import { layerName, nonNegativeInt, positiveInt } from './layer-fields.js';
import { defineOp } from './op-definition.js';

/** Channels in a block of ONNX Runtime's blocked convolution layout: 16 with AVX-512, 8 with AVX2 (see the ONNX form). */
const NCHWC_BLOCK = 16;

/** PyTorch's `int or (int, int)` for the two spatial axes: one number for both, or `[height, width]`. */
export function spatialPair<Item extends z.ZodNumber>(item: Item) {
  return z.union([item, z.tuple([item, item])], { error: 'must be one number for both spatial axes or a [height, width] pair' });
}

export type SpatialPair = number | readonly [number, number];

/** `[height, width]` of a spatial pair. */
export function pairOf(value: SpatialPair): [number, number] {
  return typeof value === 'number' ? [value, value] : [value[0], value[1]];
}

/** A spatial pair as written, for messages: `3` or `[3, 5]`. */
export function formatPair(value: SpatialPair): string {
  return typeof value === 'number' ? String(value) : formatShape(value);
}

export const conv2dLayer = z
  .object({
    op: z.literal('conv2d'),
    name: layerName,
    in: positiveInt,
    out: positiveInt,
    kernel: spatialPair(positiveInt),
    stride: spatialPair(positiveInt).default(1),
    padding: spatialPair(nonNegativeInt).default(0),
    dilation: spatialPair(positiveInt).default(1),
    groups: positiveInt.default(1),
    bias: z.boolean().default(true),
  })
  .strict();
export type Conv2dLayer = z.infer<typeof conv2dLayer>;

/** Output length of a sliding window along one axis (PyTorch's floor rule). */
export function windowOutput(size: number, kernel: number, stride: number, padding = 0, dilation = 1): number {
  return Math.floor((size + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1;
}

/** A convolution's window along both spatial axes, resolved to pairs, and its output size. */
interface Geometry {
  readonly kernel: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly output: [number, number];
}

function geometry(layer: Conv2dLayer, height: number, width: number): Geometry {
  const [kernel, stride, padding, dilation] = [layer.kernel, layer.stride, layer.padding, layer.dilation].map(pairOf) as [
    [number, number],
    [number, number],
    [number, number],
    [number, number],
  ];
  const output: [number, number] = [
    windowOutput(height, kernel[0], stride[0], padding[0], dilation[0]),
    windowOutput(width, kernel[1], stride[1], padding[1], dilation[1]),
  ];
  return { kernel, stride, padding, dilation, output };
}

export const conv2d = defineOp<Conv2dLayer>({
  op: 'conv2d',
  schema: conv2dLayer,
  inferShape(layer, input) {
    const problems: string[] = [];
    if (layer.in % layer.groups !== 0) problems.push(`in ${layer.in} is not divisible by groups ${layer.groups}`);
    if (layer.out % layer.groups !== 0) problems.push(`out ${layer.out} is not divisible by groups ${layer.groups}`);
    if (input.length !== 3) return { problems: [...problems, `expects a [C, H, W] input but receives ${formatShape(input)}`] };
    const [channels, height, width] = input as [number, number, number];
    const { output } = geometry(layer, height, width);
    if (channels !== layer.in) problems.push(`expects ${layer.in} input channels but receives ${formatShape(input)}`);
    if (output[0] < 1 || output[1] < 1) {
      const dilated = pairOf(layer.dilation).some((d) => d !== 1) ? ` and dilation ${formatPair(layer.dilation)}` : '';
      problems.push(
        `kernel ${formatPair(layer.kernel)} with padding ${formatPair(layer.padding)}${dilated} does not fit the ${height}x${width} input`,
      );
    }
    const shape = [layer.out, Math.max(output[0], 1), Math.max(output[1], 1)];
    return problems.length > 0 ? { problems, shape } : { shape };
  },
  parameters: (layer) => ({
    weight: [layer.out, Math.max(1, Math.floor(layer.in / layer.groups)), ...pairOf(layer.kernel)],
    ...(layer.bias ? { bias: [layer.out] } : {}),
  }),
  multiplyAdds: (layer, _input, output) => {
    const [kh, kw] = pairOf(layer.kernel);
    return output.reduce((a, b) => a * b, 1) * (layer.in / layer.groups) * kh * kw;
  },
  reference(layer, x, params) {
    const [batch, channels, height, width] = x.shape as [number, number, number, number];
    const { kernel, stride, padding, dilation, output } = geometry(layer, height, width);
    const [kh, kw] = kernel;
    const [outH, outW] = output;
    const { out } = layer;
    const inPerGroup = channels / layer.groups;
    const outPerGroup = out / layer.groups;
    const weight = params.weight as Float64Array;
    const data = new Float64Array(batch * out * outH * outW);
    let index = 0;
    for (let b = 0; b < batch; b++) {
      for (let o = 0; o < out; o++) {
        const first = Math.floor(o / outPerGroup) * inPerGroup;
        for (let oy = 0; oy < outH; oy++) {
          for (let ox = 0; ox < outW; ox++) {
            let sum = params.bias ? (params.bias[o] as number) : 0;
            for (let ci = 0; ci < inPerGroup; ci++) {
              const c = first + ci;
              for (let ky = 0; ky < kh; ky++) {
                const y = oy * stride[0] + ky * dilation[0] - padding[0];
                if (y < 0 || y >= height) continue;
                for (let kx = 0; kx < kw; kx++) {
                  const xx = ox * stride[1] + kx * dilation[1] - padding[1];
                  if (xx < 0 || xx >= width) continue;
                  sum +=
                    (x.data[((b * channels + c) * height + y) * width + xx] as number) *
                    (weight[((o * inPerGroup + ci) * kh + ky) * kw + kx] as number);
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
    const groups = layer.groups;
    const [, height, width] = input.sample as [number, number, number];
    const { kernel, stride, padding, dilation, output } = geometry(layer, height, width);
    const sample = [layer.out, ...output];
    const attributes = (group: number) =>
      ({
        group: { kind: 'int', value: group },
        kernel_shape: { kind: 'ints', value: kernel },
        strides: { kind: 'ints', value: stride },
        pads: { kind: 'ints', value: [...padding, ...padding] },
        dilations: { kind: 'ints', value: dilation },
      }) as const;
    const weightDims = [n * layer.out, layer.in / groups, ...kernel];

    if (input.layout === 'shared') {
      // One convolution over the shared input: group g's filters are every member's
      // filters of group g, so the weights go group-major, [g, N, out/g, ...].
      const regroup = groups > 1 && n > 1;
      const order = (data: Float32Array) => (regroup ? groupMajor(data, n, groups) : data);
      const inputs = [input.name, ctx.graph.constant('conv_weight', weightDims, order(ctx.parameter('weight')))];
      if (layer.bias) inputs.push(ctx.graph.constant('conv_bias', [n * layer.out], order(ctx.parameter('bias'))));
      let name = ctx.graph.node('Conv', inputs, attributes(groups));
      if (regroup) {
        // Output channels (group, member, channel) → (member, group, channel).
        const [outH, outW] = output;
        const split = ctx.graph.node('Reshape', [
          name,
          ctx.graph.int64s('conv_groups', [0, groups, n, (layer.out / groups) * outH * outW]),
        ]);
        const swapped = ctx.graph.node('Transpose', [split], { perm: { kind: 'ints', value: [0, 2, 1, 3] } });
        name = ctx.graph.node('Reshape', [swapped, ctx.graph.int64s('conv_members', [0, n * layer.out, outH, outW])]);
      }
      return { name, layout: 'grouped', sample };
    }

    if (input.layout === 'members' && groups === 1 && n > 1 && layer.in < NCHWC_BLOCK && layer.out % NCHWC_BLOCK === 0) {
      // Few input channels (an image's 1 or 3): one convolution per member on its own slice of the
      // input, concatenated along channels. ONNX Runtime's blocked (NCHWc) kernels take a convolution
      // with fewer input channels than a block only ungrouped, with whole blocks of output channels;
      // as one grouped convolution it runs a slower kernel and reorders its output into the blocked
      // layout (the per-member ResNet bench's pass: 1.16x faster this way; with 8 output channels,
      // half a block on AVX-512, the grouped form stays faster).
      const weight = ctx.parameter('weight');
      const bias = layer.bias ? ctx.parameter('bias') : undefined;
      const perMember = weight.length / n;
      const outputs = Array.from({ length: n }, (_, m) => {
        const x = ctx.graph.node('Gather', [input.name, ctx.graph.int64Tensor('member', [], [m])], { axis: { kind: 'int', value: 0 } });
        const inputs = [
          x,
          ctx.graph.constant('conv_weight', [layer.out, ...weightDims.slice(1)], weight.subarray(m * perMember, (m + 1) * perMember)),
        ];
        if (bias) inputs.push(ctx.graph.constant('conv_bias', [layer.out], bias.subarray(m * layer.out, (m + 1) * layer.out)));
        return ctx.graph.node('Conv', inputs, attributes(1));
      });
      return { name: ctx.graph.node('Concat', outputs, { axis: { kind: 'int', value: 1 } }), layout: 'grouped', sample };
    }

    // Member-stacked channels hold N*g groups, member-major; the stacked weights
    // [N, out, in/g, kh, kw] are already the [N*out, in/g, kh, kw] they want.
    const x = ctx.toGrouped(input);
    const inputs = [x.name, ctx.graph.constant('conv_weight', weightDims, ctx.parameter('weight'))];
    if (layer.bias) inputs.push(ctx.graph.constant('conv_bias', [n * layer.out], ctx.parameter('bias')));
    return { name: ctx.graph.node('Conv', inputs, attributes(n * groups)), layout: 'grouped', sample };
  },
  tfjs(ctx, layer, x) {
    const { tf } = ctx;
    const n = ctx.members;
    const groups = layer.groups;
    const [, height, width] = x.sample as [number, number, number];
    const geo = geometry(layer, height, width);
    const [outH, outW] = geo.output;
    const sample = [layer.out, outH, outW];
    const inPerGroup = layer.in / groups;
    const outPerGroup = layer.out / groups;
    const convolve = (input: Tensor4D, filter: Tensor, bias: Tensor | undefined) =>
      convolveNhwc(ctx, layer, geo, input, filter, bias, false);

    if (groups > 1 && groups === layer.in) return depthwiseForm(ctx, layer, x, geo);

    if (x.layout === 'shared' && ctx.batchedKernels) {
      // A shared input needs no stacking: one convolution with N*out/g filters per group.
      // PyTorch [N, out/g, in/g, kh, kw] → TensorFlow.js [kh, kw, in/g, N*out/g].
      if (groups > 1)
        ctx.note(`conv2d ${layer.name} runs as ${groups} convolutions, one per group: TensorFlow.js has no grouped convolution`);
      const image = channelsLast(tf, x.t);
      const perGroup = Array.from({ length: groups }, (_, g) => {
        const filters = ctx.constant(groups === 1 ? 'filters' : `wide-filters-${g}`, () => {
          const weight = ctx.parameter('weight');
          const slice = groups === 1 ? weight : tf.slice(weight, [0, g * outPerGroup, 0, 0, 0], [-1, outPerGroup, -1, -1, -1]);
          return tf.reshape(tf.transpose(slice, [3, 4, 2, 0, 1]), [...geo.kernel, inPerGroup, n * outPerGroup]);
        });
        const bias = layer.bias
          ? ctx.constant(groups === 1 ? 'bias' : `wide-bias-${g}`, () => {
              const stacked = ctx.parameter('bias');
              return rank1(tf, groups === 1 ? stacked : tf.slice(stacked, [0, g * outPerGroup], [-1, outPerGroup]));
            })
          : undefined;
        const input = groups === 1 ? image : tf.slice(image, [0, 0, 0, g * inPerGroup], [-1, -1, -1, inPerGroup]);
        // [B, N*out/g, H', W'] → [B, N, out/g * H' * W']
        return tf.reshape(channelsFirst(tf, convolve(input, filters, bias)), [-1, n, outPerGroup * outH * outW]);
      });
      const y = groups === 1 ? (perGroup[0] as Tensor) : tf.concat(perGroup, 2); // [B, N, out * H' * W']
      // Member axis first with 3-D transposes only (higher-rank ones are slow in some backends).
      const t = tf.reshape(tf.transpose(y, [1, 0, 2]), [n, -1, ...sample]);
      return { t, layout: 'members', sample };
    }

    if (groups > 1) {
      ctx.note(
        `conv2d ${layer.name} runs once per member and group (${n}x${groups} convolutions): TensorFlow.js has no grouped convolution`,
      );
    } else {
      ctx.note(
        x.layout === 'members'
          ? `conv2d ${layer.name} runs once per member on member inputs: TensorFlow.js has no grouped convolution`
          : `conv2d ${layer.name} runs once per member: faster than one convolution with ${n * layer.out} filters on this backend`,
      );
    }
    const inputs =
      x.layout === 'shared' ? new Array<Tensor4D>(n).fill(channelsLast(tf, x.t)) : ctx.split(x.t).map((xm) => channelsLast(tf, xm));
    const members = inputs.map((image, m) => {
      const perGroup = Array.from({ length: groups }, (_, g) => {
        // PyTorch [out/g, in/g, kh, kw] → TensorFlow.js [kh, kw, in/g, out/g].
        const filter = ctx.constant(groups === 1 ? `filter-${m}` : `filter-${m}-${g}`, () =>
          tf.transpose(
            tf.squeeze(tf.slice(ctx.parameter('weight'), [m, g * outPerGroup, 0, 0, 0], [1, outPerGroup, -1, -1, -1]), [0]),
            [2, 3, 1, 0],
          ),
        );
        const bias = layer.bias
          ? ctx.constant(groups === 1 ? `bias-${m}` : `bias-${m}-${g}`, () =>
              rank1(tf, tf.slice(ctx.parameter('bias'), [m, g * outPerGroup], [1, outPerGroup])),
            )
          : undefined;
        const input = groups === 1 ? image : tf.slice(image, [0, 0, 0, g * inPerGroup], [-1, -1, -1, inPerGroup]);
        return convolve(input, filter, bias);
      });
      return channelsFirst(tf, groups === 1 ? (perGroup[0] as Tensor4D) : tf.concat(perGroup, 3));
    });
    return { t: tf.stack(members), layout: 'members', sample };
  },
});

/**
 * A depthwise convolution (`groups = in`, `out = in * multiplier`) for all
 * members in one call: TensorFlow.js's `depthwiseConv2d` over member-stacked
 * channels, whose output channel `c * multiplier + q` is PyTorch's too.
 */
function depthwiseForm(ctx: TfjsLayerContext, layer: Conv2dLayer, input: TfjsValue, geo: Geometry): TfjsValue {
  const { tf } = ctx;
  const n = ctx.members;
  const [channels, height, width] = input.sample as [number, number, number];
  const [outH, outW] = geo.output;
  const multiplier = layer.out / layer.in;
  const x = ctx.toMembers(input).t; // [N, B, C, H, W]
  const image = tf.reshape(tf.transpose(x, [1, 3, 4, 0, 2]), [-1, height, width, n * channels]) as Tensor4D;
  // PyTorch [N, out, 1, kh, kw] → TensorFlow.js [kh, kw, N*in, multiplier].
  const filter = ctx.constant('depthwise-filter', () =>
    tf.transpose(tf.reshape(ctx.parameter('weight'), [n * channels, multiplier, ...geo.kernel]), [2, 3, 0, 1]),
  );
  const bias = layer.bias ? ctx.constant('depthwise-bias', () => rank1(tf, ctx.parameter('bias'))) : undefined;
  const y = convolveNhwc(ctx, layer, geo, image, filter, bias, true); // [B, H', W', N*out]
  const t = tf.transpose(tf.reshape(y, [-1, outH, outW, n, layer.out]), [3, 0, 4, 1, 2]);
  return { t, layout: 'members', sample: [layer.out, outH, outW] };
}

/**
 * One NHWC convolution (or depthwise convolution) with the layer's window.
 * TensorFlow.js takes strides or dilations but not both above 1: there it
 * computes every position and keeps every stride-th.
 */
function convolveNhwc(
  ctx: TfjsLayerContext,
  layer: Conv2dLayer,
  geo: Geometry,
  input: Tensor4D,
  filter: Tensor,
  bias: Tensor | undefined,
  depthwise: boolean,
): Tensor4D {
  const { tf } = ctx;
  const strided = geo.stride.some((s) => s !== 1);
  const both = strided && geo.dilation.some((d) => d !== 1);
  const [ph, pw] = geo.padding;
  const strides: [number, number] = both ? [1, 1] : geo.stride;
  const base = { filter: filter as Tensor4D, strides, dilations: geo.dilation, ...(bias ? { bias } : {}) };
  // A numeric padding sizes both axes by the window's height (TensorFlow.js takes
  // the window as square there): only a square window may use it.
  const effective = geo.kernel.map((k, axis) => (geo.dilation[axis] as number) * (k - 1) + 1);
  const square = effective[0] === effective[1] && strides[0] === strides[1] && ph === pw;
  let y: Tensor4D;
  if (square) {
    y = depthwise ? tf.fused.depthwiseConv2d({ ...base, x: input, pad: ph }) : tf.fused.conv2d({ ...base, x: input, pad: ph });
  } else if (depthwise) {
    // The depthwise convolution takes no explicit padding: pad first, then slide over valid positions only.
    const padded =
      ph > 0 || pw > 0
        ? tf.pad(input, [
            [0, 0],
            [ph, ph],
            [pw, pw],
            [0, 0],
          ])
        : input;
    y = tf.fused.depthwiseConv2d({ ...base, x: padded, pad: 'valid' });
  } else {
    const pad: [[number, number], [number, number], [number, number], [number, number]] = [
      [0, 0],
      [ph, ph],
      [pw, pw],
      [0, 0],
    ];
    y = tf.fused.conv2d({ ...base, x: input, pad });
  }
  if (!both) return y;
  ctx.note(
    `conv2d ${layer.name} runs at stride 1 and keeps every ${formatPair(layer.stride)} positions: TensorFlow.js convolutions take strides or dilations above 1, not both`,
  );
  const [batch, height, width, channels] = y.shape;
  return tf.stridedSlice(y, [0, 0, 0, 0], [batch, height, width, channels], [1, geo.stride[0], geo.stride[1], 1]) as Tensor4D;
}

/** Stacked `[N, g, ...]` (member-major) to `[g, N, ...]` (group-major). */
function groupMajor(data: Float32Array, n: number, groups: number): Float32Array {
  const size = data.length / (n * groups);
  const result = new Float32Array(data.length);
  for (let m = 0; m < n; m++) {
    for (let g = 0; g < groups; g++) {
      result.set(data.subarray((m * groups + g) * size, (m * groups + g + 1) * size), (g * n + m) * size);
    }
  }
  return result;
}
