/** Tensors in JSON bodies: `{ shape, data }`, data flat and row-major. */
import { z } from 'zod';

/** The largest finite float32: a larger input value would silently become Infinity. */
export const FLOAT32_MAX = 3.4028234663852886e38;
export const float32Value = z
  .number()
  .min(-FLOAT32_MAX, 'must fit in float32 (|x| <= 3.4028234663852886e38)')
  .max(FLOAT32_MAX, 'must fit in float32 (|x| <= 3.4028234663852886e38)');

/** An input tensor. */
export const tensorJsonSchema = z
  .object({
    shape: z.array(z.number().int().positive()).min(1).max(16),
    data: z.array(float32Value),
  })
  .strict();
export type TensorJson = z.infer<typeof tensorJsonSchema>;

/** A result tensor: `null` where a value is not finite (NaN, ±Infinity: an overflow in the model), which JSON cannot hold. */
export const resultTensorJsonSchema = z.object({
  shape: z.array(z.number().int().nonnegative()),
  data: z.array(z.number().nullable()),
});
export type ResultTensorJson = z.infer<typeof resultTensorJsonSchema>;
