/** Tensors in JSON bodies (`{ shape, data }`, data flat and row-major; schemas in `@ensembles/protocol`) to and from tensors. */
import { formatShape, sizeOf, type Tensor } from '@ensembles/core';
import type { ResultTensorJson, TensorJson } from '@ensembles/protocol';
import { HttpError } from './http-errors.js';

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
