/**
 * Decodes a safetensors float tensor (F32, F16, BF16, F64) into a new
 * Float32Array, using typed-array views (never a DataView per element), and
 * an integer one (I64, I32: token ids) where float32 holds every value exactly.
 */

import { SafetensorsError } from '../errors/ensemble-error.js';
import { formatShape } from '../tensor/tensor.js';
import { swapToHostOrder } from './byte-order.js';
import { byteLengthOf, bytesPerElement, isFloatDtype } from './dtypes.js';
import type { SafetensorsTensor } from './read-safetensors.js';

/**
 * The tensor's values as a new Float32Array (row-major). F64 values are
 * rounded to the nearest float32; F16 and BF16 convert exactly; I64 and I32
 * values (token ids) convert when within ±2^24, where float32 is exact.
 *
 * @throws SafetensorsError `SAFETENSORS_UNSUPPORTED_DTYPE` for other dtypes and
 *   for integers beyond ±2^24, `SAFETENSORS_BAD_TENSOR` when the byte count
 *   does not match the shape.
 * @example
 * const tensor = readSafetensors(bytes).tensors.get('fc1.weight');
 * if (tensor) console.log(toFloat32(tensor)); // Float32Array [...]
 */
export function toFloat32(tensor: SafetensorsTensor): Float32Array {
  const { name, dtype, shape, bytes } = tensor;
  if (!isFloatDtype(dtype) && dtype !== 'I64' && dtype !== 'I32') {
    throw new SafetensorsError(
      'SAFETENSORS_UNSUPPORTED_DTYPE',
      `tensor ${JSON.stringify(name)}: cannot convert ${dtype} to float32 (only F64, F32, F16, BF16, and I64 or I32 token ids)`,
    );
  }
  const expected = byteLengthOf(dtype, shape);
  if (bytes.length !== expected) {
    throw new SafetensorsError(
      'SAFETENSORS_BAD_TENSOR',
      `tensor ${JSON.stringify(name)}: ${dtype} ${formatShape(shape)} needs ${expected} bytes, got ${bytes.length}`,
    );
  }
  const width = bytesPerElement(dtype);
  const native = swapToHostOrder(bytes, width);
  const out = new Float32Array(bytes.length / width);
  switch (dtype) {
    case 'I64':
    case 'I32': {
      const values = dtype === 'I64' ? alignedView(native, BigInt64Array) : alignedView(native, Int32Array);
      for (let i = 0; i < values.length; i++) {
        const value = Number(values[i] ?? 0);
        if (Math.abs(value) > MAX_EXACT_INTEGER) {
          throw new SafetensorsError(
            'SAFETENSORS_UNSUPPORTED_DTYPE',
            `tensor ${JSON.stringify(name)}: ${dtype} value ${value} at index ${i} is beyond 2^24, which float32 cannot hold exactly`,
          );
        }
        out[i] = value;
      }
      break;
    }
    case 'F32':
      new Uint8Array(out.buffer).set(native); // one copy, whatever the alignment
      break;
    case 'F64':
      out.set(alignedView(native, Float64Array));
      break;
    case 'F16': {
      const halves = alignedView(native, Uint16Array);
      const table = halfTable();
      for (let i = 0; i < halves.length; i++) out[i] = table[halves[i] ?? 0] ?? 0;
      break;
    }
    case 'BF16': {
      // bfloat16 is the upper half of a float32.
      const halves = alignedView(native, Uint16Array);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < halves.length; i++) bits[i] = (halves[i] ?? 0) << 16;
      break;
    }
  }
  return out;
}

/** Float32 holds every integer up to 2^24 exactly. */
const MAX_EXACT_INTEGER = 2 ** 24;

interface TypedArrayType<T> {
  readonly BYTES_PER_ELEMENT: number;
  new (buffer: ArrayBuffer, byteOffset: number, length: number): T;
}

/** A typed-array view of `bytes`, over an aligned copy when `bytes` is unaligned. */
function alignedView<T>(bytes: Uint8Array, type: TypedArrayType<T>): T {
  const source = bytes.byteOffset % type.BYTES_PER_ELEMENT === 0 ? bytes : new Uint8Array(bytes);
  return new type(source.buffer as ArrayBuffer, source.byteOffset, source.length / type.BYTES_PER_ELEMENT);
}

let halves: Float32Array | undefined;

/** Float value of every IEEE 754 half-precision bit pattern, built on first use. */
function halfTable(): Float32Array {
  if (!halves) {
    halves = new Float32Array(0x10000);
    for (let bits = 0; bits < 0x10000; bits++) halves[bits] = halfToNumber(bits);
  }
  return halves;
}

function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24; // zero and subnormals
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : Number.NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}
