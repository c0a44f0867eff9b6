/**
 * The Open Inference Protocol's tensor datatypes, and how an input of each
 * becomes the float32 tensor an ensemble takes: the float types are
 * converted (FP64 rounded to float32), integers only where float32 holds
 * them exactly (|x| <= 2^24), BOOL and BYTES refused. Values come as JSON
 * numbers or, with the binary tensor data extension, as little-endian bytes.
 */
import { swapToHostOrder, toFloat32 } from '@ensembles/core';
import { FLOAT32_MAX } from '@ensembles/protocol';
import { HttpError } from '../http-errors.js';

/** Bytes per element of every datatype the protocol defines (BF16 is Triton's); BYTES has no fixed size. */
const elementBytes = {
  BOOL: 1,
  UINT8: 1,
  UINT16: 2,
  UINT32: 4,
  UINT64: 8,
  INT8: 1,
  INT16: 2,
  INT32: 4,
  INT64: 8,
  FP16: 2,
  BF16: 2,
  FP32: 4,
  FP64: 8,
  BYTES: undefined,
} as const;

export type Datatype = keyof typeof elementBytes;

/** The datatypes an input may have: every numeric one. */
export const NUMERIC_DATATYPES = [
  'FP32',
  'FP16',
  'BF16',
  'FP64',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
] as const satisfies readonly Datatype[];
export type NumericDatatype = (typeof NUMERIC_DATATYPES)[number];

/** The largest integer from which every smaller one is exact in float32. */
export const FLOAT32_EXACT_INTEGER = 2 ** 24;
const FLOAT16_MAX = 65504;

/** The range of each integer datatype, as JSON numbers can state it. */
const integerRanges: Partial<Record<NumericDatatype, readonly [number, number]>> = {
  INT8: [-(2 ** 7), 2 ** 7 - 1],
  INT16: [-(2 ** 15), 2 ** 15 - 1],
  INT32: [-(2 ** 31), 2 ** 31 - 1],
  INT64: [-(2 ** 63), 2 ** 63 - 1],
  UINT8: [0, 2 ** 8 - 1],
  UINT16: [0, 2 ** 16 - 1],
  UINT32: [0, 2 ** 32 - 1],
  UINT64: [0, 2 ** 64 - 1],
};

/** `"input"` for messages. */
function named(input: string): string {
  return `input ${JSON.stringify(input)}`;
}

/**
 * The datatype of `input`, if an ensemble can take it.
 *
 * @throws HttpError 400 for BOOL, BYTES and names the protocol does not define, naming the input.
 * @example
 * numericDatatype('input', 'INT64'); // 'INT64'
 * numericDatatype('input', 'BOOL'); // throws: input "input" has datatype BOOL; ...
 */
export function numericDatatype(input: string, datatype: string): NumericDatatype {
  if ((NUMERIC_DATATYPES as readonly string[]).includes(datatype)) return datatype as NumericDatatype;
  const accepted = `send ${NUMERIC_DATATYPES.join(', ')}`;
  if (Object.hasOwn(elementBytes, datatype)) {
    throw new HttpError(400, 'DATATYPE_UNSUPPORTED', `${named(input)} has datatype ${datatype}; an ensemble takes numbers: ${accepted}`);
  }
  throw new HttpError(
    400,
    'DATATYPE_UNSUPPORTED',
    `${named(input)} has datatype ${JSON.stringify(datatype)}, which the Open Inference Protocol does not define; ${accepted}`,
  );
}

/** Bytes per element of a numeric datatype. */
export function bytesPerElement(datatype: NumericDatatype): number {
  return elementBytes[datatype];
}

/**
 * JSON values (already flat, row-major) of `datatype` as float32.
 *
 * @throws HttpError 400 naming the input and the index of the first value
 *   that is not a number, not of the datatype, or not exact in float32.
 * @example
 * float32FromJson('input', 'INT32', [1, 2, 3]); // Float32Array [1, 2, 3]
 */
export function float32FromJson(input: string, datatype: NumericDatatype, values: readonly unknown[]): Float32Array {
  const out = new Float32Array(values.length);
  const range = integerRanges[datatype];
  const limit = datatype === 'FP16' ? FLOAT16_MAX : FLOAT32_MAX;
  // A plain loop: this runs per request on up to millions of values.
  for (let index = 0; index < values.length; index++) {
    const value = values[index];
    if (typeof value !== 'number') {
      throw refusal(input, datatype, index, `is ${value === null ? 'null' : `a ${typeof value}`}; values must be numbers`);
    }
    if (range) {
      if (!Number.isInteger(value) || value < range[0] || value > range[1]) {
        throw refusal(input, datatype, index, `(${value}) is not an integer within ${datatype}'s range`);
      }
      if (Math.abs(value) > FLOAT32_EXACT_INTEGER) throw inexact(input, datatype, index, value);
    } else if (!(Math.abs(value) <= limit)) {
      throw refusal(input, datatype, index, `(${value}) is out of ${datatype === 'FP16' ? 'FP16' : 'float32'}'s range (|x| <= ${limit})`);
    }
    out[index] = value;
  }
  return out;
}

/**
 * Little-endian binary values of `datatype` as float32. Non-finite floats
 * pass, for the prediction's own check to name.
 *
 * @throws HttpError 400 naming the input and the index of the first value
 *   that float32 cannot hold (an FP64 out of its range, an integer beyond 2^24).
 * @example
 * float32FromBinary('input', 'FP64', bytes); // rounded to float32
 */
export function float32FromBinary(input: string, datatype: NumericDatatype, bytes: Uint8Array): Float32Array {
  const count = bytes.length / bytesPerElement(datatype);
  switch (datatype) {
    case 'FP32':
    case 'FP16':
    case 'BF16':
      // Each converts to float32 exactly.
      return toFloat32({ name: input, dtype: FLOAT_DTYPES[datatype], shape: [count], bytes });
    case 'FP64': {
      const values = hostView(bytes, Float64Array);
      for (let index = 0; index < values.length; index++) {
        const value = values[index] as number;
        if (Math.abs(value) > FLOAT32_MAX && Number.isFinite(value)) {
          throw refusal(input, datatype, index, `(${value}) is out of float32's range (|x| <= ${FLOAT32_MAX})`);
        }
      }
      return Float32Array.from(values);
    }
    case 'INT64':
    case 'UINT64': {
      const values = datatype === 'INT64' ? hostView(bytes, BigInt64Array) : hostView(bytes, BigUint64Array);
      const out = new Float32Array(count);
      const limit = BigInt(FLOAT32_EXACT_INTEGER);
      for (let index = 0; index < values.length; index++) {
        const value = values[index] as bigint;
        if (value > limit || value < -limit) throw inexact(input, datatype, index, value);
        out[index] = Number(value);
      }
      return out;
    }
    default: {
      const values = hostView(bytes, INTEGER_ARRAYS[datatype] as unknown as TypedArrayType<ArrayLike<number>>);
      for (let index = 0; index < values.length; index++) {
        const value = values[index] as number;
        if (Math.abs(value) > FLOAT32_EXACT_INTEGER) throw inexact(input, datatype, index, value);
      }
      return Float32Array.from(values as ArrayLike<number>);
    }
  }
}

const FLOAT_DTYPES = { FP32: 'F32', FP16: 'F16', BF16: 'BF16' } as const;

const INTEGER_ARRAYS = {
  INT8: Int8Array,
  INT16: Int16Array,
  INT32: Int32Array,
  UINT8: Uint8Array,
  UINT16: Uint16Array,
  UINT32: Uint32Array,
} as const;

interface TypedArrayType<T> {
  readonly BYTES_PER_ELEMENT: number;
  new (buffer: ArrayBuffer, byteOffset: number, length: number): T;
}

/** A view of little-endian `bytes` in host order, over an aligned copy when `bytes` is unaligned. */
function hostView<T>(bytes: Uint8Array, type: TypedArrayType<T>): T {
  const width = type.BYTES_PER_ELEMENT;
  let native = swapToHostOrder(bytes, width);
  // A copy, not `slice()`, which a Buffer answers with a view at the same offset.
  if (native.byteOffset % width !== 0) native = new Uint8Array(native);
  return new type(native.buffer as ArrayBuffer, native.byteOffset, native.length / width);
}

function refusal(input: string, datatype: NumericDatatype, index: number, what: string): HttpError {
  return new HttpError(400, 'INPUT_INVALID', `${named(input)} (${datatype}): the value at index ${index} ${what}`);
}

function inexact(input: string, datatype: NumericDatatype, index: number, value: number | bigint): HttpError {
  return refusal(
    input,
    datatype,
    index,
    `(${value}) is not exact in float32, which holds integers exactly only up to |x| <= 2^24 (${FLOAT32_EXACT_INTEGER}); send it as FP32`,
  );
}
