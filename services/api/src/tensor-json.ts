/** Tensors in JSON bodies: `{ shape, data }`, data flat and row-major. */
import { formatShape, sizeOf, type Tensor } from '@ensembles/core';
import { z } from 'zod';
import { HttpError } from './http-errors.js';

/** The largest finite float32: a larger input value would silently become Infinity. */
const FLOAT32_MAX = 3.4028234663852886e38;
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

export function tensorFromJson(json: TensorJson, what: string): Tensor {
  const expected = sizeOf(json.shape);
  if (json.data.length !== expected) {
    throw new HttpError(
      400,
      'INPUT_INVALID',
      `${what} of shape ${formatShape(json.shape)} needs ${expected} values, got ${json.data.length}`,
    );
  }
  return { shape: json.shape, data: Float32Array.from(json.data) };
}

export function tensorToJson(shape: readonly number[], data: ArrayLike<number> | BigInt64Array): ResultTensorJson {
  return {
    shape: [...shape],
    data: Array.from(data as ArrayLike<number | bigint>, (value) => {
      const number = Number(value);
      return Number.isFinite(number) ? number : null;
    }),
  };
}
