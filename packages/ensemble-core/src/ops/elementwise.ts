/**
 * `relu`, `tanh`, `sigmoid`: elementwise activations. They act on each value
 * alone, so the vectorized form is the plain ONNX op on any layout.
 */
import { z } from 'zod';
import { defineOp, mapReference, type OpDefinition } from './op-definition.js';

export const reluLayer = z.object({ op: z.literal('relu') }).strict();
export const tanhLayer = z.object({ op: z.literal('tanh') }).strict();
export const sigmoidLayer = z.object({ op: z.literal('sigmoid') }).strict();

function defineElementwise<Layer extends { op: string }>(
  op: Layer['op'],
  schema: z.ZodType<Layer>,
  onnxOp: string,
  tfjsOp: 'relu' | 'tanh' | 'sigmoid',
  fn: (value: number) => number,
): OpDefinition<Layer> {
  return defineOp<Layer>({
    op,
    schema,
    inferShape: (_layer, input) => ({ shape: input }),
    reference: (_layer, x) => mapReference(x, fn),
    onnx: (ctx, _layer, x) => ({ ...x, name: ctx.graph.node(onnxOp, [x.name]) }),
    tfjs: (ctx, _layer, x) => ({ ...x, t: ctx.tf[tfjsOp](x.t) }),
  });
}

export const relu = defineElementwise('relu', reluLayer, 'Relu', 'relu', (v) => Math.max(v, 0));
export const tanh = defineElementwise('tanh', tanhLayer, 'Tanh', 'tanh', Math.tanh);
export const sigmoid = defineElementwise('sigmoid', sigmoidLayer, 'Sigmoid', 'sigmoid', (v) => 1 / (1 + Math.exp(-v)));
