/**
 * An ONNX `TensorProto`'s values, from `raw_data` (little-endian bytes, as
 * exporters write them) or from the typed repeated fields. Floats stay
 * float32 (float16 and bfloat16 converted exactly, by the safetensors
 * helpers) or float64; integers and bools become numbers (int64 beyond 2^53
 * only ever mean "to the end" in the slices exporters write, and keep that
 * meaning as large numbers).
 */

import { swapToHostOrder } from '../safetensors/byte-order.js';
import { toFloat32 } from '../safetensors/to-float32.js';
import type { Dim } from '../tensor/symbolic-shape.js';
import type { OnnxTensor } from './decode-onnx.js';
import { unsupported } from './onnx-import-error.js';
import { DataType, dataTypeName, elementCount, type StaticTensor } from './static-tensor.js';

const byteWidths: Record<number, number> = {
  [DataType.FLOAT]: 4,
  [DataType.UINT8]: 1,
  [DataType.INT8]: 1,
  [DataType.UINT16]: 2,
  [DataType.INT16]: 2,
  [DataType.INT32]: 4,
  [DataType.INT64]: 8,
  [DataType.BOOL]: 1,
  [DataType.FLOAT16]: 2,
  [DataType.DOUBLE]: 8,
  [DataType.UINT32]: 4,
  [DataType.UINT64]: 8,
  [DataType.BFLOAT16]: 2,
};

/** int64 fields as protobufjs decodes them: a number, or a `Long` when the `long` package is there. */
export type Int64 = number | { toNumber(): number };

export function int64(value: Int64): number {
  return typeof value === 'number' ? value : value.toNumber();
}

/** Whether the importer can read tensors of this element type. */
export function isReadableType(dataType: number): boolean {
  return byteWidths[dataType] !== undefined;
}

/** What is wrong with a tensor's stored data (a count that does not match its dims), or undefined. */
export function tensorDataProblem(tensor: OnnxTensor): string | undefined {
  const width = byteWidths[tensor.dataType];
  if (width === undefined) return undefined; // refused where it is used, naming the type
  const count = elementCount(tensor.dims);
  const { message } = tensor;
  const stored = Object.hasOwn(message, 'rawData') ? message.rawData.length / width : (storedField(tensor.dataType, message)?.length ?? 0);
  if (stored === count) return undefined;
  return `${tensor.name || 'a tensor'} (${dataTypeName(tensor.dataType)} [${tensor.dims.join(', ')}]) holds ${stored} values, not ${count}`;
}

function storedField(dataType: number, message: OnnxTensor['message']): readonly unknown[] | undefined {
  switch (dataType) {
    case DataType.FLOAT:
      return message.floatData;
    case DataType.DOUBLE:
      return message.doubleData;
    case DataType.INT64:
      return message.int64Data;
    case DataType.UINT32:
    case DataType.UINT64:
      return message.uint64Data;
    default:
      return message.int32Data;
  }
}

/**
 * The tensor's values.
 *
 * @example
 * readTensor(model.initializers.get('fc.weight')).data; // Float32Array [...]
 */
export function readTensor(tensor: OnnxTensor): StaticTensor {
  const { dataType, dims: shape, message } = tensor;
  const width = byteWidths[dataType];
  if (width === undefined)
    return unsupported(`${tensor.name ? `${tensor.name}: ` : ''}${dataTypeName(dataType)} tensors are not supported`);
  if (Object.hasOwn(message, 'rawData')) return { dataType, shape, data: fromRaw(dataType, shape, message.rawData) };
  switch (dataType) {
    case DataType.FLOAT:
      return { dataType, shape, data: Float32Array.from(message.floatData) };
    case DataType.DOUBLE:
      return { dataType, shape, data: Float64Array.from(message.doubleData) };
    case DataType.INT64:
      return { dataType, shape, data: message.int64Data.map(int64) };
    case DataType.UINT32:
    case DataType.UINT64:
      return { dataType, shape, data: message.uint64Data.map(int64) };
    case DataType.FLOAT16:
    case DataType.BFLOAT16: {
      // 16-bit floats are stored as their bits in int32_data.
      const bytes = new Uint8Array(Uint16Array.from(message.int32Data).buffer);
      return { dataType, shape, data: fromRaw(dataType, shape, swapToHostOrder(bytes, 2)) };
    }
    default:
      return { dataType, shape, data: [...message.int32Data] };
  }
}

function fromRaw(dataType: number, shape: readonly number[], bytes: Uint8Array): Float32Array | Float64Array | Dim[] {
  switch (dataType) {
    case DataType.FLOAT:
      return toFloat32({ name: 'raw', dtype: 'F32', shape, bytes });
    case DataType.FLOAT16:
      return toFloat32({ name: 'raw', dtype: 'F16', shape, bytes });
    case DataType.BFLOAT16:
      return toFloat32({ name: 'raw', dtype: 'BF16', shape, bytes });
    case DataType.DOUBLE:
      return new Float64Array(aligned(bytes, 8));
    case DataType.INT64:
      return Array.from(new BigInt64Array(aligned(bytes, 8)), Number);
    case DataType.UINT64:
      return Array.from(new BigUint64Array(aligned(bytes, 8)), Number);
    case DataType.INT32:
      return Array.from(new Int32Array(aligned(bytes, 4)));
    case DataType.UINT32:
      return Array.from(new Uint32Array(aligned(bytes, 4)));
    case DataType.INT16:
      return Array.from(new Int16Array(aligned(bytes, 2)));
    case DataType.UINT16:
      return Array.from(new Uint16Array(aligned(bytes, 2)));
    case DataType.INT8:
      return Array.from(new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length));
    default: // UINT8, BOOL
      return Array.from(bytes);
  }
}

/** The bytes, in host order, in a buffer of their own (aligned for any typed array). */
function aligned(bytes: Uint8Array, width: number): ArrayBuffer {
  const copy = new Uint8Array(bytes.length);
  copy.set(swapToHostOrder(bytes, width));
  return copy.buffer;
}
