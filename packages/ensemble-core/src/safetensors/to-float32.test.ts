import { describe, expect, it } from 'vitest';
import { SafetensorsError } from '../errors/ensemble-error.js';
import type { SafetensorsDtype } from './dtypes.js';
import type { SafetensorsTensor } from './read-safetensors.js';
import { toFloat32 } from './to-float32.js';

/** A tensor whose bytes start `offset` bytes into their buffer (to test unaligned views). */
function tensorOf(dtype: SafetensorsDtype, shape: number[], bytes: Uint8Array, offset = 0): SafetensorsTensor {
  const buffer = new Uint8Array(offset + bytes.length + 3);
  buffer.set(bytes, offset);
  return { name: 'w', dtype, shape, bytes: buffer.subarray(offset, offset + bytes.length) };
}

/** Little-endian bytes of 16-bit patterns. */
function halves(bits: number[]): Uint8Array {
  const bytes = new Uint8Array(bits.length * 2);
  for (const [i, b] of bits.entries()) new DataView(bytes.buffer).setUint16(i * 2, b, true);
  return bytes;
}

describe('toFloat32', () => {
  it.each([0, 1])('copies F32 (byte offset %i)', (offset) => {
    const values = new Float32Array([1, -2, 0.5, 3.4e38, Infinity, 1e-45]);
    const tensor = tensorOf('F32', [2, 3], new Uint8Array(values.buffer), offset);
    const out = toFloat32(tensor);
    expect(out).toEqual(values);
    out[0] = 42;
    expect(toFloat32(tensor)[0]).toBe(1); // a copy, not a view
  });

  it.each([0, 1])('converts F16 exactly, subnormals, infinities and NaN included (byte offset %i)', (offset) => {
    const bits = [0x3c00, 0xc000, 0x3800, 0x7bff, 0x7c00, 0xfc00, 0x7e00, 0x0001, 0x03ff, 0x8000, 0x3555];
    const out = toFloat32(tensorOf('F16', [bits.length], halves(bits), offset));
    expect([...out]).toEqual([1, -2, 0.5, 65504, Infinity, -Infinity, NaN, 2 ** -24, 1023 * 2 ** -24, -0, 0.333251953125]);
  });

  it.each([0, 1])('converts BF16 exactly (byte offset %i)', (offset) => {
    const bits = [0x3f80, 0xc000, 0x3f00, 0x477f, 0x7f80, 0xff80, 0x7fc0, 0x0001, 0x7f7f];
    const out = toFloat32(tensorOf('BF16', [bits.length], halves(bits), offset));
    expect([...out]).toEqual([1, -2, 0.5, 65280, Infinity, -Infinity, NaN, 2 ** -133, 3.3895313892515355e38]);
  });

  it.each([0, 3])('rounds F64 to float32 (byte offset %i)', (offset) => {
    const values = new Float64Array([1, -2, 0.5, 65504, Infinity, NaN, 0.1, 1e300, 2 ** -149]);
    const out = toFloat32(tensorOf('F64', [values.length], new Uint8Array(values.buffer), offset));
    expect([...out]).toEqual([1, -2, 0.5, 65504, Infinity, NaN, Math.fround(0.1), Infinity, 2 ** -149]);
  });

  it('converts unaligned bytes that lie in a Node Buffer (whose slice() is a view, not a copy)', () => {
    const values = new Float64Array([1, -2, 0.5]);
    const buffer = Buffer.alloc(values.byteLength + 1);
    buffer.set(new Uint8Array(values.buffer), 1);
    const tensor: SafetensorsTensor = { name: 'w', dtype: 'F64', shape: [3], bytes: buffer.subarray(1) };
    expect([...toFloat32(tensor)]).toEqual([1, -2, 0.5]);
    const halfBuffer = Buffer.alloc(5);
    halfBuffer.set(halves([0x3c00, 0xc000]), 1);
    expect([...toFloat32({ name: 'h', dtype: 'F16', shape: [2], bytes: halfBuffer.subarray(1) })]).toEqual([1, -2]);
  });

  it('returns an empty array for an empty tensor', () => {
    expect(toFloat32(tensorOf('BF16', [0, 4], new Uint8Array(0)))).toEqual(new Float32Array(0));
  });

  it('converts I64 and I32 token ids exactly, and refuses ids beyond 2^24', () => {
    const ids = new BigInt64Array([0n, 7n, 49_999n, BigInt(2 ** 24)]);
    expect([...toFloat32(tensorOf('I64', [4], new Uint8Array(ids.buffer)))]).toEqual([0, 7, 49_999, 2 ** 24]);
    const small = new Int32Array([3, -1]);
    expect([...toFloat32(tensorOf('I32', [2], new Uint8Array(small.buffer)))]).toEqual([3, -1]);
    const big = new BigInt64Array([1n, BigInt(2 ** 24 + 1)]);
    expect(() => toFloat32(tensorOf('I64', [2], new Uint8Array(big.buffer)))).toThrow(
      'tensor "w": I64 value 16777217 at index 1 is beyond 2^24, which float32 cannot hold exactly',
    );
  });

  it.each<SafetensorsDtype>(['U8', 'BOOL', 'F8_E4M3'])('refuses %s, naming the tensor', (dtype) => {
    const call = () => toFloat32(tensorOf(dtype, [8], new Uint8Array(8)));
    expect(call).toThrow(SafetensorsError);
    expect(call).toThrow(expect.objectContaining({ code: 'SAFETENSORS_UNSUPPORTED_DTYPE' }));
    expect(call).toThrow(`tensor "w": cannot convert ${dtype} to float32`);
  });

  it('refuses bytes that do not match the shape', () => {
    const call = () => toFloat32(tensorOf('F32', [3], new Uint8Array(8)));
    expect(call).toThrow(expect.objectContaining({ code: 'SAFETENSORS_BAD_TENSOR' }));
    expect(call).toThrow('tensor "w": F32 [3] needs 12 bytes, got 8');
  });
});
