/** Tests for the datatype conversions: what converts to float32 exactly, and what is refused, naming the input and index. */
import { describe, expect, it } from 'vitest';
import { float32FromBinary, float32FromJson, numericDatatype } from './datatypes.js';

function littleEndian(write: (view: DataView, index: number, value: number) => void, width: number, values: readonly number[], offset = 0) {
  // An odd offset into a larger buffer: binary tensors follow a JSON header of any length.
  const buffer = Buffer.alloc(offset + values.length * width);
  const view = new DataView(buffer.buffer, buffer.byteOffset + offset);
  for (const [i, value] of values.entries()) write(view, i * width, value);
  return buffer.subarray(offset);
}

describe('numericDatatype', () => {
  it('takes every numeric datatype and refuses BOOL, BYTES and unknown names, naming the input', () => {
    expect(numericDatatype('x', 'UINT16')).toBe('UINT16');
    expect(() => numericDatatype('x', 'BOOL')).toThrow('input "x" has datatype BOOL');
    expect(() => numericDatatype('x', 'BYTES')).toThrow('input "x" has datatype BYTES');
    expect(() => numericDatatype('x', 'fp32')).toThrow('input "x" has datatype "fp32", which the Open Inference Protocol does not define');
  });
});

describe('float32FromJson', () => {
  it('converts numbers of each datatype, FP64 rounded to float32', () => {
    expect(Array.from(float32FromJson('x', 'FP64', [0.1, -2]))).toEqual([Math.fround(0.1), -2]);
    expect(Array.from(float32FromJson('x', 'INT64', [2 ** 24, -(2 ** 24)]))).toEqual([2 ** 24, -(2 ** 24)]);
    expect(Array.from(float32FromJson('x', 'FP16', [65504, -0.5]))).toEqual([65504, -0.5]);
  });

  it.each<[string, Parameters<typeof float32FromJson>[1], unknown[], string]>([
    ['an integer beyond 2^24', 'INT64', [0, 2 ** 24 + 1], 'index 1 (16777217) is not exact in float32'],
    ['a fraction for an integer type', 'INT32', [0.5], "index 0 (0.5) is not an integer within INT32's range"],
    ['a negative UINT', 'UINT32', [-1], "index 0 (-1) is not an integer within UINT32's range"],
    ['an FP64 beyond float32', 'FP64', [1, -1e39], "index 1 (-1e+39) is out of float32's range"],
    ['an FP16 beyond its range', 'FP16', [65520], "index 0 (65520) is out of FP16's range"],
    ['a string', 'FP32', [1, '2'], 'index 1 is a string'],
    ['null', 'FP32', [null], 'index 0 is null'],
    ['a boolean', 'INT8', [true], 'index 0 is a boolean'],
  ])('refuses %s, naming the input and the index', (_what, datatype, values, message) => {
    expect(() => float32FromJson('x', datatype, values)).toThrow(`input "x" (${datatype}): the value at ${message}`);
  });
});

describe('float32FromBinary', () => {
  it('reads little-endian bytes of each datatype, at any offset', () => {
    const f64 = littleEndian((v, i, x) => v.setFloat64(i, x, true), 8, [0.1, -3], 3);
    expect(Array.from(float32FromBinary('x', 'FP64', f64))).toEqual([Math.fround(0.1), -3]);
    const i32 = littleEndian((v, i, x) => v.setInt32(i, x, true), 4, [-7, 2 ** 24], 1);
    expect(Array.from(float32FromBinary('x', 'INT32', i32))).toEqual([-7, 2 ** 24]);
    const u16 = littleEndian((v, i, x) => v.setUint16(i, x, true), 2, [65535, 1], 1);
    expect(Array.from(float32FromBinary('x', 'UINT16', u16))).toEqual([65535, 1]);
    const i64 = littleEndian((v, i, x) => v.setBigInt64(i, BigInt(x), true), 8, [-5, 9], 5);
    expect(Array.from(float32FromBinary('x', 'INT64', i64))).toEqual([-5, 9]);
    const f16 = littleEndian((v, i, x) => v.setUint16(i, x, true), 2, [0x3c00, 0xc100], 1);
    expect(Array.from(float32FromBinary('x', 'FP16', f16))).toEqual([1, -2.5]);
    const bf16 = littleEndian((v, i, x) => v.setUint16(i, x, true), 2, [0x3f80, 0x4040], 1);
    expect(Array.from(float32FromBinary('x', 'BF16', bf16))).toEqual([1, 3]);
  });

  it('refuses what float32 cannot hold, naming the input and the index', () => {
    const i64 = littleEndian((v, i, x) => v.setBigInt64(i, BigInt(x), true), 8, [1, 2 ** 30]);
    expect(() => float32FromBinary('x', 'INT64', i64)).toThrow(
      'input "x" (INT64): the value at index 1 (1073741824) is not exact in float32',
    );
    const u32 = littleEndian((v, i, x) => v.setUint32(i, x, true), 4, [2 ** 32 - 1]);
    expect(() => float32FromBinary('x', 'UINT32', u32)).toThrow('index 0 (4294967295) is not exact');
    const f64 = littleEndian((v, i, x) => v.setFloat64(i, x, true), 8, [1e300]);
    expect(() => float32FromBinary('x', 'FP64', f64)).toThrow("out of float32's range");
  });

  it('passes non-finite floats on, for the prediction check to name', () => {
    const f64 = littleEndian((v, i, x) => v.setFloat64(i, x, true), 8, [Number.NaN, Number.POSITIVE_INFINITY]);
    const values = float32FromBinary('x', 'FP64', f64);
    expect(Number.isNaN(values[0])).toBe(true);
    expect(values[1]).toBe(Number.POSITIVE_INFINITY);
  });
});
