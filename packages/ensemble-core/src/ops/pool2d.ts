/**
 * `maxpool2d` and `avgpool2d`: PyTorch `nn.MaxPool2d(kernel, stride=None,
 * padding=0)` and `nn.AvgPool2d(kernel, stride=None, padding=0,
 * count_include_pad=True)` on NCHW. `kernel`, `stride` (defaulting to the
 * kernel) and `padding` are each one number for both spatial axes or a
 * `[height, width]` pair; as in PyTorch, padding is at most half the kernel.
 * Max pooling pads with -inf; average pooling pads with zeros that count in
 * the divisor unless `countIncludePad` is false. Ceil mode, max-pool
 * dilation and `divisor_override` are not supported.
 *
 * Pooling is per channel, so it runs on any layout without regrouping.
 */
import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { OnnxAttribute } from '../kernels/onnx-kernel.js';
import { channelsFirst, channelsLast } from '../kernels/tfjs-kernel.js';
import { formatShape } from '../tensor/tensor.js';
import { formatPair, pairOf, spatialPair, windowOutput } from './conv2d.js';
import { nonNegativeInt, positiveInt } from './layer-fields.js';
import { defineOp, type OpDefinition } from './op-definition.js';

const poolFields = {
  kernel: spatialPair(positiveInt),
  stride: spatialPair(positiveInt).optional(),
  padding: spatialPair(nonNegativeInt).default(0),
};
export const maxpool2dLayer = z.object({ op: z.literal('maxpool2d'), ...poolFields }).strict();
export const avgpool2dLayer = z.object({ op: z.literal('avgpool2d'), ...poolFields, countIncludePad: z.boolean().default(true) }).strict();
export type Maxpool2dLayer = z.infer<typeof maxpool2dLayer>;
export type Avgpool2dLayer = z.infer<typeof avgpool2dLayer>;

type PoolLayer = Maxpool2dLayer | Avgpool2dLayer;

/** The window along both spatial axes, resolved to pairs, and the output size. */
interface PoolGeometry {
  readonly kernel: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly output: [number, number];
}

function geometry(layer: PoolLayer, height: number, width: number): PoolGeometry {
  const kernel = pairOf(layer.kernel);
  const stride = pairOf(layer.stride ?? layer.kernel);
  const padding = pairOf(layer.padding);
  const output: [number, number] = [
    windowOutput(height, kernel[0], stride[0], padding[0]),
    windowOutput(width, kernel[1], stride[1], padding[1]),
  ];
  return { kernel, stride, padding, output };
}

/** Whether padded positions count in an average's divisor (always true for max pooling, where it does not matter). */
function countsPadding(layer: PoolLayer): boolean {
  return !('countIncludePad' in layer) || layer.countIncludePad;
}

function definePool<Layer extends PoolLayer>(
  op: Layer['op'],
  schema: z.ZodType<Layer>,
  onnxOp: 'MaxPool' | 'AveragePool',
  reduce: (window: number[], padded: number) => number,
): OpDefinition<Layer> {
  const max = onnxOp === 'MaxPool';
  return defineOp<Layer>({
    op,
    schema,
    inferShape(layer, input) {
      if (input.length !== 3) return { problems: [`expects a [C, H, W] input but receives ${formatShape(input)}`] };
      const [channels, height, width] = input as [number, number, number];
      const { kernel, padding, output } = geometry(layer, height, width);
      const problems: string[] = [];
      if (padding[0] > Math.floor(kernel[0] / 2) || padding[1] > Math.floor(kernel[1] / 2)) {
        problems.push(`padding ${formatPair(layer.padding)} must be at most half the kernel ${formatPair(layer.kernel)}`);
      }
      if (output[0] < 1 || output[1] < 1) {
        const padded = padding.some((p) => p > 0) ? ` with padding ${formatPair(layer.padding)}` : '';
        problems.push(`kernel ${formatPair(layer.kernel)}${padded} does not fit the ${height}x${width} input`);
      }
      const shape = [channels, Math.max(output[0], 1), Math.max(output[1], 1)];
      return problems.length > 0 ? { problems, shape } : { shape };
    },
    reference(layer, x) {
      const [batch, channels, height, width] = x.shape as [number, number, number, number];
      const { kernel, stride, padding, output } = geometry(layer, height, width);
      const [outH, outW] = output;
      const data = new Float64Array(batch * channels * outH * outW);
      const window: number[] = [];
      let index = 0;
      for (let plane = 0; plane < batch * channels; plane++) {
        for (let oy = 0; oy < outH; oy++) {
          for (let ox = 0; ox < outW; ox++) {
            window.length = 0;
            let padded = 0;
            for (let ky = 0; ky < kernel[0]; ky++) {
              const y = oy * stride[0] + ky - padding[0];
              for (let kx = 0; kx < kernel[1]; kx++) {
                const xx = ox * stride[1] + kx - padding[1];
                if (y < 0 || y >= height || xx < 0 || xx >= width) padded++;
                else window.push(x.data[(plane * height + y) * width + xx] as number);
              }
            }
            data[index++] = reduce(window, countsPadding(layer) ? padded : 0);
          }
        }
      }
      return { shape: [batch, channels, outH, outW], data };
    },
    onnx(ctx, layer, x) {
      const [channels, height, width] = x.sample as [number, number, number];
      const { kernel, stride, padding, output } = geometry(layer, height, width);
      const attributes: Record<string, OnnxAttribute> = {
        kernel_shape: { kind: 'ints', value: kernel },
        strides: { kind: 'ints', value: stride },
        pads: { kind: 'ints', value: [...padding, ...padding] },
      };
      // ONNX's default is 0, PyTorch's True: always written.
      if (!max) attributes.count_include_pad = { kind: 'int', value: countsPadding(layer) ? 1 : 0 };
      const sample = [channels, ...output];
      if (x.layout !== 'members') {
        return { name: ctx.graph.node(onnxOp, [x.name], attributes), layout: x.layout, sample };
      }
      // [N, B, C, H, W] → [N*B, C, H, W] → pool → [N, B, C, H', W'].
      const flat = ctx.graph.node('Reshape', [x.name, ctx.graph.int64s('pool_in', [-1, channels, height, width])]);
      const pooled = ctx.graph.node(onnxOp, [flat], attributes);
      const name = ctx.graph.node('Reshape', [pooled, ctx.graph.int64s('pool_out', [ctx.members, -1, ...sample])]);
      return { name, layout: 'members', sample };
    },
    tfjs(ctx, layer, x) {
      const { tf } = ctx;
      const [channels, height, width] = x.sample as [number, number, number];
      const { kernel, stride, padding, output } = geometry(layer, height, width);
      const sample = [channels, ...output];
      // Pooling is per channel and per sample: members and batch fold into one axis.
      let images = channelsLast(tf, tf.reshape(x.t, [-1, channels, height, width]));
      const [ph, pw] = padding;
      if (ph > 0 || pw > 0) {
        // Padded explicitly, the same on every backend: -inf for max, zeros for average.
        const paddings: [number, number][] = [
          [0, 0],
          [ph, ph],
          [pw, pw],
          [0, 0],
        ];
        images = tf.pad(images, paddings, max ? Number.NEGATIVE_INFINITY : 0);
      }
      let pooled: Tensor = max ? tf.maxPool(images, kernel, stride, 'valid') : tf.avgPool(images, kernel, stride, 'valid');
      if (!max && !countsPadding(layer) && (ph > 0 || pw > 0)) {
        // The average divided by every position of the window; rescale to the positions inside the input.
        const rescale = ctx.constant('count-exclude-pad', () =>
          tf.tensor(excludePadScale(kernel, stride, padding, [height, width], output), [1, ...output, 1]),
        );
        pooled = tf.mul(pooled, rescale);
      }
      const lead = x.t.shape.slice(0, x.layout === 'shared' ? 1 : 2);
      return { t: tf.reshape(channelsFirst(tf, pooled as Tensor4D), [...lead, ...sample]), layout: x.layout, sample };
    },
  });
}

/** Per output position: window size over the number of the window's positions inside the input. */
function excludePadScale(
  kernel: [number, number],
  stride: [number, number],
  padding: [number, number],
  size: [number, number],
  output: [number, number],
): Float32Array {
  const inside = (o: number, axis: 0 | 1) => {
    const start = o * stride[axis] - padding[axis];
    return Math.min(start + kernel[axis], size[axis]) - Math.max(start, 0);
  };
  const scale = new Float32Array(output[0] * output[1]);
  for (let oy = 0; oy < output[0]; oy++) {
    for (let ox = 0; ox < output[1]; ox++) scale[oy * output[1] + ox] = (kernel[0] * kernel[1]) / (inside(oy, 0) * inside(ox, 1));
  }
  return scale;
}

export const maxpool2d = definePool<Maxpool2dLayer>('maxpool2d', maxpool2dLayer, 'MaxPool', (w) => Math.max(...w));
export const avgpool2d = definePool<Avgpool2dLayer>(
  'avgpool2d',
  avgpool2dLayer,
  'AveragePool',
  (w, padded) => w.reduce((a, b) => a + b, 0) / (w.length + padded),
);
