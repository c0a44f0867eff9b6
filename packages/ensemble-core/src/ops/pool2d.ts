/**
 * `maxpool2d` and `avgpool2d`: PyTorch `nn.MaxPool2d` / `nn.AvgPool2d` with a
 * square window, no padding, `stride` defaulting to the kernel size.
 * Pooling is per channel, so it runs on any layout without regrouping.
 */
import { z } from 'zod';
import { channelsFirst, channelsLast } from '../kernels/tfjs-kernel.js';
import { formatShape } from '../tensor/tensor.js';
import { windowOutput } from './conv2d.js';
import { positiveInt } from './layer-fields.js';
import { defineOp, type OpDefinition } from './op-definition.js';

const poolFields = { kernel: positiveInt, stride: positiveInt.optional() };
export const maxpool2dLayer = z.object({ op: z.literal('maxpool2d'), ...poolFields }).strict();
export const avgpool2dLayer = z.object({ op: z.literal('avgpool2d'), ...poolFields }).strict();
export type Maxpool2dLayer = z.infer<typeof maxpool2dLayer>;
export type Avgpool2dLayer = z.infer<typeof avgpool2dLayer>;

type PoolLayer = Maxpool2dLayer | Avgpool2dLayer;

function definePool<Layer extends PoolLayer>(
  op: Layer['op'],
  schema: z.ZodType<Layer>,
  onnxOp: 'MaxPool' | 'AveragePool',
  tfjsOp: 'maxPool' | 'avgPool',
  reduce: (window: number[]) => number,
): OpDefinition<Layer> {
  return defineOp<Layer>({
    op,
    schema,
    inferShape(layer, input) {
      if (input.length !== 3) return { problems: [`expects a [C, H, W] input but receives ${formatShape(input)}`] };
      const [channels, height, width] = input as [number, number, number];
      const stride = layer.stride ?? layer.kernel;
      const outH = windowOutput(height, layer.kernel, stride);
      const outW = windowOutput(width, layer.kernel, stride);
      if (outH < 1 || outW < 1) {
        return { problems: [`kernel ${layer.kernel} does not fit the ${height}x${width} input`], shape: [channels, 1, 1] };
      }
      return { shape: [channels, outH, outW] };
    },
    reference(layer, x) {
      const [batch, channels, height, width] = x.shape as [number, number, number, number];
      const k = layer.kernel;
      const stride = layer.stride ?? k;
      const outH = windowOutput(height, k, stride);
      const outW = windowOutput(width, k, stride);
      const data = new Float64Array(batch * channels * outH * outW);
      const window: number[] = [];
      let index = 0;
      for (let plane = 0; plane < batch * channels; plane++) {
        for (let oy = 0; oy < outH; oy++) {
          for (let ox = 0; ox < outW; ox++) {
            window.length = 0;
            for (let ky = 0; ky < k; ky++) {
              for (let kx = 0; kx < k; kx++) {
                window.push(x.data[(plane * height + oy * stride + ky) * width + ox * stride + kx] as number);
              }
            }
            data[index++] = reduce(window);
          }
        }
      }
      return { shape: [batch, channels, outH, outW], data };
    },
    onnx(ctx, layer, x) {
      const stride = layer.stride ?? layer.kernel;
      const attributes = {
        kernel_shape: { kind: 'ints', value: [layer.kernel, layer.kernel] },
        strides: { kind: 'ints', value: [stride, stride] },
      } as const;
      const [channels, height, width] = x.sample as [number, number, number];
      const sample = [channels, windowOutput(height, layer.kernel, stride), windowOutput(width, layer.kernel, stride)];
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
      const stride = layer.stride ?? layer.kernel;
      const [channels, height, width] = x.sample as [number, number, number];
      const sample = [channels, windowOutput(height, layer.kernel, stride), windowOutput(width, layer.kernel, stride)];
      // Pooling is per channel and per sample: members and batch fold into one axis.
      const images = channelsLast(tf, tf.reshape(x.t, [-1, channels, height, width]));
      const pooled =
        tfjsOp === 'maxPool' ? tf.maxPool(images, layer.kernel, stride, 'valid') : tf.avgPool(images, layer.kernel, stride, 'valid');
      const lead = x.t.shape.slice(0, x.layout === 'shared' ? 1 : 2);
      return { t: tf.reshape(channelsFirst(tf, pooled), [...lead, ...sample]), layout: x.layout, sample };
    },
  });
}

export const maxpool2d = definePool<Maxpool2dLayer>('maxpool2d', maxpool2dLayer, 'MaxPool', 'maxPool', (w) => Math.max(...w));
export const avgpool2d = definePool<Avgpool2dLayer>(
  'avgpool2d',
  avgpool2dLayer,
  'AveragePool',
  'avgPool',
  (w) => w.reduce((a, b) => a + b, 0) / w.length,
);
