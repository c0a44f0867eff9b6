/**
 * Reading a stored prediction result (a safetensors file, as the worker
 * writes it) back into named tensors. Only the tensors of `RESULT_TENSORS`,
 * in their dtypes, are accepted: anything else is not a prediction's result.
 */

import { PredictionResultError, SafetensorsError } from '../errors/ensemble-error.js';
import { swapToHostOrder } from '../safetensors/byte-order.js';
import { readSafetensors, type SafetensorsTensor } from '../safetensors/read-safetensors.js';
import { toFloat32 } from '../safetensors/to-float32.js';
import type { Tensor } from '../tensor/tensor.js';
import { isResultTensorName, RESULT_TENSORS, resultTensorNames, type UncertaintyTensorName } from './result-tensors.js';

/** An I64 tensor: the class indices of a `vote`. */
export interface Int64Tensor {
  readonly shape: readonly number[];
  readonly data: BigInt64Array;
}

/** The tensors of a prediction's result, by name (see `RESULT_TENSORS`). */
export type ResultTensors = {
  readonly members: Tensor;
  /** F32, or I64 class indices for `vote`; absent for `combine: 'none'`. */
  readonly combined?: Tensor | Int64Tensor;
} & { readonly [name in UncertaintyTensorName]?: Tensor };

/** A stored prediction result, read back. */
export interface StoredPredictionResult {
  /** The tensors, in the order of `RESULT_TENSORS`. */
  readonly tensors: ResultTensors;
  /** The file's `__metadata__` (empty when absent). */
  readonly metadata: Readonly<Record<string, string>>;
}

/**
 * Reads a stored prediction result into tensors with their shapes and data
 * (copies: Float32Array, or BigInt64Array for an I64 `combined`).
 *
 * @throws PredictionResultError (`RESULT_INVALID`) when the bytes are no
 *   safetensors file, lack `members`, or hold a tensor whose name is not a
 *   result tensor's or whose dtype is not one that tensor is stored as.
 *
 * @example
 * ```ts
 * const { tensors, metadata } = readPredictionResult(await redis.getBuffer(keys.jobResult(id)));
 * tensors.members.shape; // [10, 64, 10]
 * tensors.predictiveEntropy?.data; // Float32Array(64)
 * ```
 */
export function readPredictionResult(bytes: Uint8Array): StoredPredictionResult {
  let file: ReturnType<typeof readSafetensors>;
  try {
    file = readSafetensors(bytes, { source: 'prediction result' });
  } catch (error) {
    if (!(error instanceof SafetensorsError)) throw error;
    throw new PredictionResultError(`${error.message}; the result file is damaged, run the prediction again`, { cause: error });
  }
  for (const tensor of file.tensors.values()) {
    if (!isResultTensorName(tensor.name)) {
      throw new PredictionResultError(
        `prediction result: unknown tensor ${JSON.stringify(tensor.name)}; a result holds only ${resultTensorNames.join(', ')}`,
      );
    }
    const allowed: readonly string[] = RESULT_TENSORS[tensor.name].dtypes;
    if (!allowed.includes(tensor.dtype)) {
      throw new PredictionResultError(
        `prediction result: tensor ${JSON.stringify(tensor.name)} is ${tensor.dtype}, but a result stores it as ${allowed.join(' or ')}`,
      );
    }
  }
  const members = file.tensors.get('members');
  if (!members) throw new PredictionResultError('prediction result: no "members" tensor; every result holds the members\' outputs');

  const tensors: Record<string, Tensor | Int64Tensor> = {};
  for (const name of resultTensorNames) {
    const tensor = file.tensors.get(name);
    if (tensor) tensors[name] = tensor.dtype === 'I64' ? int64Values(tensor) : { shape: tensor.shape, data: toFloat32(tensor) };
  }
  return { tensors: tensors as ResultTensors, metadata: file.metadata };
}

/** An I64 tensor's values, in an aligned copy in host byte order. */
function int64Values(tensor: SafetensorsTensor): Int64Tensor {
  // `new Uint8Array(view)` copies to a fresh buffer at offset 0; a Node Buffer's `slice()` would not copy.
  const copy = new Uint8Array(swapToHostOrder(tensor.bytes, 8));
  return { shape: tensor.shape, data: new BigInt64Array(copy.buffer, 0, copy.length / 8) };
}
