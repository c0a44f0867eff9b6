/** Tensors in JSON bodies: `{ shape, data }`, data flat and row-major. */
import { formatShape, sizeOf, type Tensor } from '@ensembles/core';
import { z } from 'zod';
import { HttpError } from './http-errors.js';

export const tensorJsonSchema = z
  .object({
    shape: z.array(z.number().int().positive()).min(1).max(16),
    data: z.array(z.number()),
  })
  .strict();
export type TensorJson = z.infer<typeof tensorJsonSchema>;

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

export function tensorToJson(shape: readonly number[], data: ArrayLike<number> | BigInt64Array): TensorJson {
  return { shape: [...shape], data: Array.from(data as ArrayLike<number | bigint>, Number) };
}
