/**
 * The float32 tensor that flows through engines and combiners: a shape and a
 * flat row-major buffer.
 */

export interface Tensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** Number of elements of a shape (1 for a scalar `[]`). */
export function sizeOf(shape: readonly number[]): number {
  let size = 1;
  for (const dim of shape) size *= dim;
  return size;
}

/** `[3, 784]` → `"[3, 784]"`, for error messages. */
export function formatShape(shape: readonly (number | string)[]): string {
  return `[${shape.join(', ')}]`;
}

/** Builds a tensor, checking that the buffer length matches the shape. */
export function tensor(shape: readonly number[], data: Float32Array): Tensor {
  const expected = sizeOf(shape);
  if (data.length !== expected) {
    throw new RangeError(`tensor of shape ${formatShape(shape)} needs ${expected} values, got ${data.length}`);
  }
  return { shape: [...shape], data };
}
