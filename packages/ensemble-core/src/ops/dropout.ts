/** `dropout`: PyTorch `nn.Dropout`, the identity at inference. */
import { z } from 'zod';
import { defineOp } from './op-definition.js';

export const dropoutLayer = z.object({ op: z.literal('dropout'), p: z.number().min(0).max(1).optional() }).strict();
export type DropoutLayer = z.infer<typeof dropoutLayer>;

export const dropout = defineOp<DropoutLayer>({
  op: 'dropout',
  schema: dropoutLayer,
  inferShape: (_layer, input) => ({ shape: input }),
  reference: (_layer, x) => x,
  onnx: (_ctx, _layer, x) => x,
  tfjs: (_ctx, _layer, x) => x,
});
