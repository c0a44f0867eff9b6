/**
 * Elementwise ops: `relu`, `tanh`, `sigmoid` (PyTorch `nn.ReLU`, `nn.Tanh`,
 * `nn.Sigmoid`), `erf` (`torch.erf`), `clip` (`torch.clamp(min, max)`, either
 * bound may be omitted; `nn.ReLU6` is `clip` 0..6, `nn.Hardtanh` -1..1) and
 * `identity` (`nn.Identity`). They act on each value alone, so the
 * vectorized form is the plain ONNX op on any layout.
 */
import { z } from 'zod';
import type { TfjsLayerContext, TfjsValue } from '../kernels/tfjs-kernel.js';
import { erf as erfFloat64 } from './gelu.js';
import { defineOp, mapReference, type OpDefinition } from './op-definition.js';

export const reluLayer = z.object({ op: z.literal('relu') }).strict();
export const tanhLayer = z.object({ op: z.literal('tanh') }).strict();
export const sigmoidLayer = z.object({ op: z.literal('sigmoid') }).strict();
export const erfLayer = z.object({ op: z.literal('erf') }).strict();
export const identityLayer = z.object({ op: z.literal('identity') }).strict();
export const clipLayer = z.object({ op: z.literal('clip'), min: z.number().optional(), max: z.number().optional() }).strict();
export type ClipLayer = z.infer<typeof clipLayer>;

function defineElementwise<Layer extends { op: string }>(
  op: Layer['op'],
  schema: z.ZodType<Layer>,
  onnxOp: string,
  tfjsOp: (tf: TfjsLayerContext['tf'], x: TfjsValue['t']) => TfjsValue['t'],
  fn: (value: number) => number,
): OpDefinition<Layer> {
  return defineOp<Layer>({
    op,
    schema,
    inferShape: (_layer, input) => ({ shape: input }),
    reference: (_layer, x) => mapReference(x, fn),
    onnx: (ctx, _layer, x) => ({ ...x, name: ctx.graph.node(onnxOp, [x.name]) }),
    tfjs: (ctx, _layer, x) => ({ ...x, t: tfjsOp(ctx.tf, x.t) }),
  });
}

export const relu = defineElementwise(
  'relu',
  reluLayer,
  'Relu',
  (tf, x) => tf.relu(x),
  (v) => Math.max(v, 0),
);
export const tanh = defineElementwise('tanh', tanhLayer, 'Tanh', (tf, x) => tf.tanh(x), Math.tanh);
export const sigmoid = defineElementwise(
  'sigmoid',
  sigmoidLayer,
  'Sigmoid',
  (tf, x) => tf.sigmoid(x),
  (v) => 1 / (1 + Math.exp(-v)),
);
export const erf = defineElementwise('erf', erfLayer, 'Erf', (tf, x) => tf.erf(x), erfFloat64);

export const identity = defineOp<z.infer<typeof identityLayer>>({
  op: 'identity',
  schema: identityLayer,
  inferShape: (_layer, input) => ({ shape: input }),
  reference: (_layer, x) => x,
  onnx: (_ctx, _layer, x) => x,
  tfjs: (_ctx, _layer, x) => x,
});

export const clip = defineOp<ClipLayer>({
  op: 'clip',
  schema: clipLayer,
  inferShape(layer, input) {
    if (layer.min === undefined && layer.max === undefined) return { problems: ['needs min, max or both'], shape: input };
    if (layer.min !== undefined && layer.max !== undefined && layer.min > layer.max) {
      return { problems: [`min ${layer.min} is greater than max ${layer.max}`], shape: input };
    }
    return { shape: input };
  },
  reference: (layer, x) => mapReference(x, (v) => Math.min(Math.max(v, layer.min ?? -Infinity), layer.max ?? Infinity)),
  onnx(ctx, layer, x) {
    // ONNX Clip's bounds are optional inputs; an empty name leaves one out.
    const bound = (hint: string, value: number | undefined) =>
      value === undefined ? '' : ctx.graph.constant(hint, [], Float32Array.of(value));
    const inputs = [x.name, bound('clip_min', layer.min), bound('clip_max', layer.max)];
    while (inputs.at(-1) === '') inputs.pop();
    return { ...x, name: ctx.graph.node('Clip', inputs) };
  },
  tfjs(ctx, layer, x) {
    const { tf } = ctx;
    if (layer.min !== undefined && layer.max !== undefined) return { ...x, t: tf.clipByValue(x.t, layer.min, layer.max) };
    return { ...x, t: layer.min !== undefined ? tf.maximum(x.t, layer.min) : tf.minimum(x.t, layer.max as number) };
  },
});
