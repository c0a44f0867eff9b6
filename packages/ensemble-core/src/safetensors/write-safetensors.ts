/**
 * Writes safetensors files that the official library reads: a compact JSON
 * header padded with spaces to a multiple of 8 bytes, then the tensors'
 * bytes laid out contiguously, tensors and metadata sorted by name so the
 * output is deterministic.
 */

import { SafetensorsError } from '../errors/ensemble-error.js';
import { formatShape } from '../tensor/tensor.js';
import { swapToHostOrder } from './byte-order.js';
import { byteLengthOf, isDimension, isSafetensorsDtype, type SafetensorsDtype } from './dtypes.js';

/** A tensor to write: its little-endian bytes, row-major. */
export interface TensorToWrite {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  readonly bytes: Uint8Array;
}

/**
 * An F32 tensor to write. On little-endian hosts `bytes` is a view of `data`
 * (no copy), so changes to `data` before writing show in the file.
 *
 * @example
 * float32Tensor('fc1.bias', [3], new Float32Array([0.1, 0.2, 0.3]));
 */
export function float32Tensor(name: string, shape: readonly number[], data: Float32Array): TensorToWrite {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return checked({ name, dtype: 'F32', shape: [...shape], bytes: swapToHostOrder(bytes, 4) });
}

/**
 * An I64 tensor to write, from a BigInt64Array or from safe integers.
 *
 * @example
 * int64Tensor('num_batches_tracked', [], [100]);
 */
export function int64Tensor(name: string, shape: readonly number[], data: BigInt64Array | readonly number[]): TensorToWrite {
  const values =
    data instanceof BigInt64Array
      ? data
      : BigInt64Array.from(data, (value, index) => {
          if (!Number.isSafeInteger(value)) {
            throw badTensor(name, `value ${index} is ${value}, not a safe integer`);
          }
          return BigInt(value);
        });
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  return checked({ name, dtype: 'I64', shape: [...shape], bytes: swapToHostOrder(bytes, 8) });
}

/**
 * Serializes tensors (sorted by name) and optional string metadata into one
 * safetensors file. Empty metadata writes no `__metadata__` entry.
 *
 * @throws SafetensorsError on duplicate or reserved names, unknown dtypes,
 *   invalid shapes, byte counts that do not match the shape, or non-string metadata.
 * @example
 * const file = writeSafetensors(
 *   [float32Tensor('w', [2, 2], new Float32Array([1, 2, 3, 4]))],
 *   { format: 'pt' },
 * );
 * await writeFile('model.safetensors', file);
 */
export function writeSafetensors(tensors: Iterable<TensorToWrite>, metadata: Record<string, string> = {}): Uint8Array {
  const sorted = [...tensors].map(checked).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const entries: string[] = [];

  const metadataKeys = Object.keys(metadata).sort();
  for (const key of metadataKeys) {
    const value: unknown = metadata[key];
    if (typeof value !== 'string' || !isWellFormed(key) || !isWellFormed(value)) {
      throw new SafetensorsError(
        'SAFETENSORS_BAD_HEADER',
        `metadata ${JSON.stringify(key)} must map a well-formed string to a well-formed string`,
      );
    }
  }
  if (metadataKeys.length > 0) {
    const pairs = metadataKeys.map((key) => `${JSON.stringify(key)}:${JSON.stringify(metadata[key])}`);
    entries.push(`"__metadata__":{${pairs.join(',')}}`);
  }

  let offset = 0;
  sorted.forEach(({ name, dtype, shape, bytes }, index) => {
    if (sorted[index - 1]?.name === name) throw badTensor(name, 'name is used by more than one tensor');
    const range = `[${offset},${offset + bytes.length}]`;
    entries.push(`${JSON.stringify(name)}:{"dtype":"${dtype}","shape":[${shape.join(',')}],"data_offsets":${range}}`);
    offset += bytes.length;
  });

  const json = new TextEncoder().encode(`{${entries.join(',')}}`);
  const headerLength = Math.ceil(json.length / 8) * 8;
  const file = new Uint8Array(8 + headerLength + offset);
  new DataView(file.buffer).setBigUint64(0, BigInt(headerLength), true);
  file.set(json, 8);
  file.fill(0x20, 8 + json.length, 8 + headerLength); // pad with spaces
  let at = 8 + headerLength;
  for (const { bytes } of sorted) {
    file.set(bytes, at);
    at += bytes.length;
  }
  return file;
}

/** Validates one tensor to write, returning it unchanged. */
function checked(tensor: TensorToWrite): TensorToWrite {
  const { name, dtype, shape, bytes } = tensor;
  if (typeof name !== 'string' || !isWellFormed(name)) {
    throw new SafetensorsError('SAFETENSORS_BAD_TENSOR', `tensor name ${JSON.stringify(name)} must be a well-formed string`);
  }
  if (name === '__metadata__') throw badTensor(name, 'name is reserved for the metadata');
  if (!isSafetensorsDtype(dtype)) {
    throw new SafetensorsError(
      'SAFETENSORS_UNSUPPORTED_DTYPE',
      `tensor ${JSON.stringify(name)}: unsupported dtype ${JSON.stringify(dtype)}`,
    );
  }
  const badDim = shape.findIndex((dim) => !isDimension(dim));
  if (badDim >= 0) throw badTensor(name, `shape dimension ${badDim} is ${shape[badDim]}; dimensions must be non-negative safe integers`);
  const expected = byteLengthOf(dtype, shape);
  if (bytes.length !== expected) {
    throw badTensor(name, `${dtype} ${formatShape(shape)} needs ${expected} bytes, got ${bytes.length}`);
  }
  return tensor;
}

function badTensor(name: string, problem: string): SafetensorsError {
  return new SafetensorsError('SAFETENSORS_BAD_TENSOR', `tensor ${JSON.stringify(name)}: ${problem}`);
}

/** False for strings with lone surrogates, which the official reader rejects. */
function isWellFormed(text: string): boolean {
  return !/\p{Cs}/u.test(text);
}
