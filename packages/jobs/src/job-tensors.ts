/**
 * Where a job's tensors travel. Small ones go inline: the input's float32
 * values in the job's data (`inlineInput`), the result file in the job's
 * return value (`inlineResult`), both base64, so that a small job costs no
 * reads or writes of its own besides the queue's, and its result completes
 * atomically with it. Larger ones wait under their own Redis keys
 * (`redisKeys().jobInput(id)`, `.jobResult(id)`), as binary. The limit is the
 * shared setting `INLINE_TENSOR_BYTES`.
 */
import { formatShape, sizeOf, swapToHostOrder } from '@ensembles/core';

/** Whether a tensor (or a result file) of `bytes` bytes travels inline under `limit`. */
export function travelsInline(bytes: number, limit: number): boolean {
  return bytes <= limit;
}

/** The input's values as they travel in the job's data: float32, little-endian, base64. */
export function encodeInlineInput(data: Float32Array): string {
  return Buffer.from(swapToHostOrder(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 4)).toString('base64');
}

/** The input's values back, checked against the job's `shape`; undefined when they do not fill it. */
export function decodeInlineInput(text: string, shape: readonly number[]): Float32Array | undefined {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.byteLength !== sizeOf(shape) * 4) return undefined;
  // A copy: the decoded bytes need not sit at a float32-aligned offset.
  const data = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(data.buffer).set(swapToHostOrder(bytes, 4));
  return data;
}

/** The message for inline values that do not fill the job's shape. */
export function inlineInputMismatch(id: string, shape: readonly number[]): string {
  return `the inline input of job ${id} does not hold the ${sizeOf(shape)} float32 values of its shape ${formatShape(shape)}`;
}

/** A result file as it travels in the job's return value (base64). */
export function encodeInlineResult(file: Uint8Array): string {
  return Buffer.from(file.buffer, file.byteOffset, file.byteLength).toString('base64');
}

export function decodeInlineResult(text: string): Buffer {
  return Buffer.from(text, 'base64');
}
