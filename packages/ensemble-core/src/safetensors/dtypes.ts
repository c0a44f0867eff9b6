/**
 * The element types of the safetensors format: their official names, their
 * sizes in bytes, and which of them `toFloat32` can decode.
 */

import { sizeOf } from '../tensor/tensor.js';

/**
 * Bytes per element of every whole-byte dtype the official format defines.
 * The packed sub-byte dtypes (F4, F6_E2M3, F6_E3M2) are not supported.
 */
const byteSizes = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  F8_E4M3: 1,
  F8_E5M2: 1,
  F8_E8M0: 1,
  F8_E4M3FNUZ: 1,
  F8_E5M2FNUZ: 1,
  C64: 8,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
} as const;

/** A safetensors dtype name, as written in a file's header. */
export type SafetensorsDtype = keyof typeof byteSizes;

/** The dtypes {@link toFloat32} converts. */
export type FloatDtype = 'F64' | 'F32' | 'F16' | 'BF16';

/**
 * True when `name` is a dtype this library knows the size of.
 *
 * @example
 * isSafetensorsDtype('BF16'); // true
 * isSafetensorsDtype('F4');   // false (sub-byte dtypes are not supported)
 */
export function isSafetensorsDtype(name: unknown): name is SafetensorsDtype {
  return typeof name === 'string' && Object.hasOwn(byteSizes, name);
}

/**
 * Bytes per element of `dtype`.
 *
 * @example
 * bytesPerElement('F16'); // 2
 */
export function bytesPerElement(dtype: SafetensorsDtype): number {
  return byteSizes[dtype];
}

/**
 * True when {@link toFloat32} can decode `dtype`.
 *
 * @example
 * isFloatDtype('BF16'); // true
 * isFloatDtype('I64');  // false
 */
export function isFloatDtype(dtype: string): dtype is FloatDtype {
  return dtype === 'F64' || dtype === 'F32' || dtype === 'F16' || dtype === 'BF16';
}

/**
 * True when `value` can be a tensor dimension: a non-negative safe integer.
 *
 * @example
 * isDimension(3); // true
 * isDimension(-1); // false
 */
export function isDimension(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

/**
 * Bytes a tensor of `dtype` and `shape` occupies, or `Infinity` when that
 * exceeds `Number.MAX_SAFE_INTEGER` (so a gigantic declared shape can never
 * match a real byte count). Dimensions must satisfy {@link isDimension}.
 *
 * @example
 * byteLengthOf('F32', [2, 3]); // 24
 * byteLengthOf('F32', [2 ** 40, 2 ** 40]); // Infinity
 */
export function byteLengthOf(dtype: SafetensorsDtype, shape: readonly number[]): number {
  if (shape.includes(0)) return 0;
  // With every dimension >= 1 the running product never decreases, so once the
  // exact product passes MAX_SAFE_INTEGER the rounded one does too.
  const bytes = sizeOf(shape) * byteSizes[dtype];
  return bytes <= Number.MAX_SAFE_INTEGER ? bytes : Infinity;
}
