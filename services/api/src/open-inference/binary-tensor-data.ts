/**
 * The binary tensor data extension (Triton's `binary_tensor_data`): a body is
 * a JSON header of `Inference-Header-Content-Length` bytes followed by the
 * tensors' bytes, little-endian and row-major, in the order of the inputs (or
 * outputs) that give `parameters.binary_data_size`. Requests are read with
 * it, and outputs asked for with `binary_data` are answered with it.
 */
import { formatShape, sizeOf, swapToHostOrder } from '@ensembles/core';
import { HttpError } from '../http-errors.js';
import { bytesPerElement, type NumericDatatype } from './datatypes.js';

/** The header that gives the JSON header's length, in requests and answers. */
export const HEADER_LENGTH_HEADER = 'inference-header-content-length';

/**
 * A body split at `Inference-Header-Content-Length`: the JSON header and the binary tensor data after it.
 *
 * @throws HttpError 400 when the length is not a whole number of bytes within the body.
 * @example
 * const { header, binary } = splitBinaryBody(body, request.headers['inference-header-content-length']);
 */
export function splitBinaryBody(body: Buffer, headerLength: string): { header: Buffer; binary: Buffer } {
  const length = /^\d{1,15}$/.test(headerLength.trim()) ? Number(headerLength) : Number.NaN;
  if (!(length >= 0 && length <= body.length)) {
    throw new HttpError(
      400,
      'BINARY_DATA_INVALID',
      `Inference-Header-Content-Length ${JSON.stringify(headerLength)} must be the JSON header's length in bytes, within the body's ${body.length}`,
    );
  }
  return { header: body.subarray(0, length), binary: body.subarray(length) };
}

/** The binary part of a request, read input by input in order. */
export class BinaryTensorData {
  private offset = 0;

  constructor(private readonly bytes: Buffer) {}

  /**
   * The next `size` bytes, for `input` of `shape` and `datatype`.
   *
   * @throws HttpError 400 naming the input when `size` does not fit its shape and datatype, or the bytes left.
   */
  take(input: string, shape: readonly number[], datatype: NumericDatatype, size: number): Uint8Array {
    const name = `input ${JSON.stringify(input)}`;
    const expected = sizeOf(shape) * bytesPerElement(datatype);
    if (size !== expected) {
      throw new HttpError(
        400,
        'BINARY_DATA_INVALID',
        `${name} of shape ${formatShape(shape)} and datatype ${datatype} needs binary_data_size ${expected}, got ${size}`,
      );
    }
    const left = this.bytes.length - this.offset;
    if (size > left) {
      throw new HttpError(
        400,
        'BINARY_DATA_INVALID',
        `${name} gives binary_data_size ${size}, but only ${left} bytes of binary data follow the JSON header there`,
      );
    }
    const taken = this.bytes.subarray(this.offset, this.offset + size);
    this.offset += size;
    return taken;
  }

  /** @throws HttpError 400 when bytes are left that no input claimed. */
  finish(): void {
    const left = this.bytes.length - this.offset;
    if (left > 0) {
      throw new HttpError(
        400,
        'BINARY_DATA_INVALID',
        `${left} bytes of binary data follow the inputs' binary_data_size; Inference-Header-Content-Length or a binary_data_size is wrong`,
      );
    }
  }
}

/** A result tensor's values as little-endian bytes. */
export function littleEndianBytes(data: Float32Array | BigInt64Array): Uint8Array {
  return swapToHostOrder(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), data.BYTES_PER_ELEMENT);
}

/**
 * An answer in the extension's form: the JSON header, then each binary
 * output's bytes in order, and the header's length for
 * `Inference-Header-Content-Length`.
 */
export function binaryBody(header: unknown, tensors: readonly Uint8Array[]): { body: Buffer; headerLength: number } {
  const json = Buffer.from(JSON.stringify(header));
  return { body: Buffer.concat([json, ...tensors]), headerLength: json.length };
}
