/**
 * Values known at import time ("static": computed from initializers and
 * Constants alone), one member's copy. Float tensors hold typed arrays and
 * fold in float64; integer and bool tensors hold one `Dim` per element, so
 * that a size read from a shape by `Shape` can stay the symbolic batch
 * (`{ batch: k }`, k times the batch size) through the integer arithmetic the
 * exporters emit for reshape targets. Arithmetic that would leave k * batch
 * (`batch + 1`, `batch * batch`, `batch == 16`) cannot be folded and says so.
 */
import { type Dim, formatDim, isBatchDim } from '../tensor/symbolic-shape.js';
import { unsupported } from './onnx-import-error.js';
import { onnxSchema } from './onnx-schema.js';

/** ONNX `TensorProto.DataType` codes, as the schema has them. */
export const DataType = onnxSchema.nested.onnx.nested.TensorProto.nested.DataType.values;

/** A data type's name in messages: the schema's, lowercased, with PyTorch's float32 and float64 for FLOAT and DOUBLE. */
const dataTypeNames = new Map<number, string>(
  Object.entries(DataType).map(([name, code]) => [code, name === 'FLOAT' ? 'float32' : name === 'DOUBLE' ? 'float64' : name.toLowerCase()]),
);

export function dataTypeName(dataType: number): string {
  return dataTypeNames.get(dataType) ?? `data type ${dataType}`;
}

export function isFloatType(dataType: number): boolean {
  return dataType === DataType.FLOAT || dataType === DataType.DOUBLE || dataType === DataType.FLOAT16 || dataType === DataType.BFLOAT16;
}

export function isIntegerType(dataType: number): boolean {
  return (
    dataType === DataType.INT64 ||
    dataType === DataType.INT32 ||
    dataType === DataType.INT16 ||
    dataType === DataType.INT8 ||
    dataType === DataType.UINT8 ||
    dataType === DataType.UINT16 ||
    dataType === DataType.UINT32 ||
    dataType === DataType.UINT64
  );
}

/** Float tensors: typed arrays. Integer and bool tensors: one size or batch multiple per element. */
export type StaticData = Float32Array | Float64Array | Dim[];

/** One member's copy of a static value. */
export interface StaticTensor {
  readonly dataType: number;
  readonly shape: readonly number[];
  readonly data: StaticData;
}

export function isFloatData(data: StaticData): data is Float32Array | Float64Array {
  return !Array.isArray(data);
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** A float tensor's values as numbers (float64). */
export function floatValues(tensor: StaticTensor): Float64Array {
  if (isFloatData(tensor.data)) return tensor.data instanceof Float64Array ? tensor.data : Float64Array.from(tensor.data);
  return Float64Array.from(tensor.data, (value) => concrete(value, 'a float'));
}

/** An integer tensor's elements (sizes or batch multiples); floats are refused. */
export function dimValues(tensor: StaticTensor): Dim[] {
  if (!isFloatData(tensor.data)) return tensor.data;
  return unsupported(`expects integers, got ${dataTypeName(tensor.dataType)}`);
}

/** Integer elements that must be plain numbers (axes, starts, kernel sizes), for `what`. */
export function numberValues(tensor: StaticTensor, what: string): number[] {
  if (isFloatData(tensor.data)) return Array.from(tensor.data);
  return tensor.data.map((value) => concrete(value, what));
}

/** A number, or the refusal to use the batch size where it must be known. */
export function concrete(value: Dim, what: string): number {
  if (typeof value === 'number') return value;
  return unsupported(`${what} would depend on the batch size (${formatDim(value)})`);
}

export function formatDims(values: readonly Dim[]): string {
  return `[${values.map(formatDim).join(', ')}]`;
}

/** Integer arithmetic on sizes and batch multiples (ONNX's Add, Sub, Mul, Div, Mod on int64). */
export function addDims(a: Dim, b: Dim): Dim {
  if (typeof a === 'number' && typeof b === 'number') return a + b;
  if (isBatchDim(a) && isBatchDim(b)) return batchMultiple(a.batch + b.batch);
  if (a === 0) return b;
  if (b === 0) return a;
  return unsupported(`${formatDim(a)} + ${formatDim(b)} is not a multiple of the batch size`);
}

export function subDims(a: Dim, b: Dim): Dim {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (isBatchDim(a) && isBatchDim(b)) return batchMultiple(a.batch - b.batch);
  if (b === 0) return a;
  return unsupported(`${formatDim(a)} - ${formatDim(b)} is not a multiple of the batch size`);
}

export function mulDims(a: Dim, b: Dim): Dim {
  if (typeof a === 'number' && typeof b === 'number') return a * b;
  if (typeof a === 'number' && isBatchDim(b)) return batchMultiple(a * b.batch);
  if (isBatchDim(a) && typeof b === 'number') return batchMultiple(a.batch * b);
  return unsupported(`${formatDim(a)} * ${formatDim(b)} is not a multiple of the batch size`);
}

/** Integer division, truncating as ONNX does. */
export function divDims(a: Dim, b: Dim): Dim {
  if (typeof a === 'number' && typeof b === 'number') {
    if (b === 0) return unsupported('divides an integer by zero');
    return Math.trunc(a / b);
  }
  if (isBatchDim(a) && typeof b === 'number' && b !== 0 && Number.isInteger(a.batch / b)) return batchMultiple(a.batch / b);
  if (isBatchDim(a) && isBatchDim(b)) return Math.trunc(a.batch / b.batch);
  return unsupported(`${formatDim(a)} / ${formatDim(b)} is not a whole multiple of the batch size`);
}

export function modDims(a: Dim, b: Dim, fmod: boolean): Dim {
  if (typeof a === 'number' && typeof b === 'number') {
    if (b === 0) return unsupported('takes an integer modulo zero');
    const r = a % b;
    // ONNX Mod with fmod=0 takes the divisor's sign, as Python's % does.
    return fmod || r === 0 || Math.sign(r) === Math.sign(b) ? r : r + b;
  }
  if (isBatchDim(a) && typeof b === 'number' && b !== 0 && Number.isInteger(a.batch / b)) return 0;
  return unsupported(`${formatDim(a)} mod ${formatDim(b)} depends on the batch size`);
}

/** Whether two elements are equal; a batch multiple against a number depends on the batch size. */
export function equalDims(a: Dim, b: Dim): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a === b;
  if (isBatchDim(a) && isBatchDim(b)) return a.batch === b.batch;
  return unsupported(`whether ${formatDim(a)} equals ${formatDim(b)} depends on the batch size`);
}

function batchMultiple(k: number): Dim {
  if (k === 0) return 0;
  if (k < 0 || !Number.isInteger(k)) return unsupported(`${k} * batch is not a size`);
  return { batch: k };
}

/** Row-major strides. */
export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) strides[i] = (strides[i + 1] as number) * (shape[i + 1] as number);
  return strides;
}

/** A new tensor of the same kind (float or integer) as `like`, filled by `pick(flat index)` from `like`'s data. */
export function gatherElements(
  like: StaticTensor,
  shape: readonly number[],
  pick: (index: number) => number,
  dataType = like.dataType,
): StaticTensor {
  const size = elementCount(shape);
  if (isFloatData(like.data)) {
    const source = like.data;
    const data = source instanceof Float64Array ? new Float64Array(size) : new Float32Array(size);
    for (let i = 0; i < size; i++) data[i] = source[pick(i)] as number;
    return { dataType, shape, data };
  }
  const source = like.data;
  const data: Dim[] = new Array(size);
  for (let i = 0; i < size; i++) data[i] = source[pick(i)] as Dim;
  return { dataType, shape, data };
}

/** Whether two members' copies of a value are equal (so that one shared literal can stand for both). */
export function sameStaticData(a: StaticData, b: StaticData): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as Dim;
    const y = b[i] as Dim;
    if (typeof x === 'number' || typeof y === 'number') {
      if (!(x === y || (Number.isNaN(x) && Number.isNaN(y)))) return false;
    } else if (x.batch !== y.batch) return false;
  }
  return true;
}
