/**
 * Constant folding: the value of a node all of whose inputs are static, for
 * one member, computed at import time in float64 (floats) or exact integer
 * arithmetic on sizes and batch multiples (integers; see `static-tensor.ts`).
 * `Shape` and `Size` fold on dynamic inputs too: their symbolic shape is
 * known, the batch staying a symbol. These are the ops the PyTorch exporters
 * (TorchScript and dynamo) emit to compute reshape targets, attention
 * scales and the like; folding anything else is refused by name.
 */
import { type Dim, isBatchDim, normalizeAxis, type SymbolicShape, symbolicSize } from '../tensor/symbolic-shape.js';
import { intAttribute, intsAttribute, onlyAttributes, tensorAttribute } from './attributes.js';
import type { OnnxNode } from './decode-onnx.js';
import { unsupported } from './onnx-import-error.js';
import {
  addDims,
  concrete,
  DataType,
  dataTypeName,
  dimValues,
  divDims,
  elementCount,
  equalDims,
  floatValues,
  gatherElements,
  isFloatData,
  isFloatType,
  isIntegerType,
  modDims,
  mulDims,
  numberValues,
  type StaticData,
  type StaticTensor,
  stridesOf,
  subDims,
} from './static-tensor.js';
import { readTensor } from './tensor-data.js';

/** Ops that fold when their inputs are static. */
export const foldableOps = new Set([
  'Constant',
  'Identity',
  'Dropout',
  'Cast',
  'Shape',
  'Size',
  'Gather',
  'Slice',
  'Concat',
  'Unsqueeze',
  'Squeeze',
  'Reshape',
  'Flatten',
  'Transpose',
  'Expand',
  'ConstantOfShape',
  'Range',
  'Equal',
  'Less',
  'Greater',
  'Not',
  'Where',
  'Mod',
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Pow',
  'Neg',
  'Abs',
  'Sqrt',
  'Reciprocal',
  'Min',
  'Max',
]);

/** `Shape` or `Size` of a dynamic value, from its symbolic shape. */
export function foldShapeOf(node: OnnxNode, shape: SymbolicShape): StaticTensor {
  if (node.opType === 'Size') {
    onlyAttributes(node, []);
    const { size, batched } = symbolicSize(shape);
    return { dataType: DataType.INT64, shape: [], data: [batched ? { batch: size } : size] };
  }
  onlyAttributes(node, ['start', 'end']);
  const dims = sliceDims(shape, node);
  return { dataType: DataType.INT64, shape: [dims.length], data: [...dims] };
}

function sliceDims(shape: SymbolicShape, node: OnnxNode): Dim[] {
  const rank = shape.length;
  const clampAxis = (axis: number) => Math.min(Math.max(axis < 0 ? axis + rank : axis, 0), rank);
  return shape.slice(clampAxis(intAttribute(node, 'start', 0)), clampAxis(intAttribute(node, 'end', rank)));
}

/**
 * The outputs of a node whose inputs are all static (`undefined` for an
 * omitted optional input), for one member.
 */
export function foldNode(node: OnnxNode, inputs: readonly (StaticTensor | undefined)[], opset: number): StaticTensor[] {
  const input = (k: number): StaticTensor => inputs[k] ?? unsupported(`input ${k} is missing`);
  switch (node.opType) {
    case 'Constant':
      return [constantOf(node)];
    case 'Identity':
      onlyAttributes(node, []);
      return [input(0)];
    case 'Dropout':
      onlyAttributes(node, ['seed', 'ratio', 'is_test']);
      return [input(0)];
    case 'Cast':
      onlyAttributes(node, ['to', 'saturate', 'round_mode']);
      return [cast(input(0), intAttribute(node, 'to') ?? unsupported('Cast has no "to"'))];
    case 'Shape':
      onlyAttributes(node, ['start', 'end']);
      return [{ dataType: DataType.INT64, shape: [input(0).shape.length], data: sliceDims(input(0).shape, node) }];
    case 'Size':
      onlyAttributes(node, []);
      return [{ dataType: DataType.INT64, shape: [], data: [elementCount(input(0).shape)] }];
    case 'Gather':
      onlyAttributes(node, ['axis']);
      return [gather(input(0), input(1), intAttribute(node, 'axis', 0))];
    case 'Slice':
      return [slice(node, inputs, opset)];
    case 'Concat':
      onlyAttributes(node, ['axis']);
      return [
        concat(
          inputs.filter((t): t is StaticTensor => t !== undefined),
          intAttribute(node, 'axis') ?? 0,
        ),
      ];
    case 'Unsqueeze': {
      onlyAttributes(node, ['axes']);
      const x = input(0);
      const axes = opset >= 13 ? numberValues(input(1), 'axes') : (intsAttribute(node, 'axes') ?? []);
      return [{ ...x, shape: unsqueezeShape(x.shape, axes) }];
    }
    case 'Squeeze': {
      onlyAttributes(node, ['axes']);
      const x = input(0);
      const axes = opset >= 13 ? (inputs[1] ? numberValues(inputs[1], 'axes') : undefined) : intsAttribute(node, 'axes');
      return [{ ...x, shape: squeezeShape(x.shape, axes) }];
    }
    case 'Reshape': {
      onlyAttributes(node, ['allowzero']);
      const x = input(0);
      const target = numberValues(input(1), 'the reshape target');
      return [{ ...x, shape: reshapeShape(x.shape, target, intAttribute(node, 'allowzero', 0) === 1) }];
    }
    case 'Flatten': {
      onlyAttributes(node, ['axis']);
      const x = input(0);
      const axis = normalizeAxis(intAttribute(node, 'axis', 1), x.shape.length + 1) ?? unsupported('axis is out of range');
      return [{ ...x, shape: [elementCount(x.shape.slice(0, axis)), elementCount(x.shape.slice(axis))] }];
    }
    case 'Transpose':
      onlyAttributes(node, ['perm']);
      return [transpose(input(0), intsAttribute(node, 'perm'))];
    case 'Expand': {
      onlyAttributes(node, []);
      const x = input(0);
      const shape = broadcast([x.shape, numberValues(input(1), 'the expanded shape')]);
      const index = broadcastIndex(x.shape, shape);
      return [gatherElements(x, shape, index)];
    }
    case 'ConstantOfShape': {
      onlyAttributes(node, ['value']);
      const shape = numberValues(input(0), 'the shape of ConstantOfShape');
      const value = tensorAttribute(node, 'value');
      const fill = value ? readTensor(value) : { dataType: DataType.FLOAT, shape: [1], data: new Float32Array([0]) };
      return [gatherElements(fill, shape, () => 0)];
    }
    case 'Range': {
      onlyAttributes(node, []);
      const [start, limit, delta] = [0, 1, 2].map((k) => numberValues(input(k), 'a Range bound')[0] ?? 0) as [number, number, number];
      const count = Math.max(Math.ceil((limit - start) / delta), 0);
      const values = Array.from({ length: count }, (_, i) => start + i * delta);
      const dataType = input(0).dataType;
      return [{ dataType, shape: [count], data: isFloatType(dataType) ? Float64Array.from(values) : values }];
    }
    case 'Equal':
    case 'Less':
    case 'Greater': {
      onlyAttributes(node, []);
      const compare = node.opType === 'Equal' ? equalDims : node.opType === 'Less' ? less : (a: Dim, b: Dim) => less(b, a);
      return [elementwise([input(0), input(1)], DataType.BOOL, ([a, b]) => (compare(a as Dim, b as Dim) ? 1 : 0))];
    }
    case 'Not':
      onlyAttributes(node, []);
      return [elementwise([input(0)], DataType.BOOL, ([a]) => (a === 0 ? 1 : 0))];
    case 'Where': {
      onlyAttributes(node, []);
      const [condition, x, y] = [input(0), input(1), input(2)];
      return [elementwise([condition, x, y], x.dataType, ([c, a, b]) => (concrete(c as Dim, 'a Where condition') ? a : b) as Dim)];
    }
    case 'Mod': {
      onlyAttributes(node, ['fmod']);
      const fmod = intAttribute(node, 'fmod', 0) === 1;
      return [
        arithmetic(
          [input(0), input(1)],
          (a, b) => modDims(a, b, fmod),
          (a, b) => (fmod ? a % b : a - b * Math.floor(a / b)),
        ),
      ];
    }
    case 'Add':
      onlyAttributes(node, []);
      return [arithmetic([input(0), input(1)], addDims, (a, b) => a + b)];
    case 'Sub':
      onlyAttributes(node, []);
      return [arithmetic([input(0), input(1)], subDims, (a, b) => a - b)];
    case 'Mul':
      onlyAttributes(node, []);
      return [arithmetic([input(0), input(1)], mulDims, (a, b) => a * b)];
    case 'Div':
      onlyAttributes(node, []);
      return [arithmetic([input(0), input(1)], divDims, (a, b) => a / b)];
    case 'Pow':
      onlyAttributes(node, []);
      return [
        arithmetic(
          [input(0), input(1)],
          (a, b) => concrete(a, 'a power') ** concrete(b, 'an exponent'),
          (a, b) => a ** b,
        ),
      ];
    case 'Min':
    case 'Max': {
      onlyAttributes(node, []);
      const pick = node.opType === 'Min' ? Math.min : Math.max;
      const all = inputs.filter((t): t is StaticTensor => t !== undefined);
      return [
        all
          .slice(1)
          .reduce(
            (a, b) => arithmetic([a, b], (x, y) => pick(concrete(x, 'a minimum'), concrete(y, 'a minimum')), pick),
            all[0] as StaticTensor,
          ),
      ];
    }
    case 'Neg':
      onlyAttributes(node, []);
      return [
        arithmetic(
          [input(0)],
          (a) => subDims(0, a),
          (a) => -a,
        ),
      ];
    case 'Abs':
      onlyAttributes(node, []);
      return [arithmetic([input(0)], (a) => Math.abs(concrete(a, 'an absolute value')), Math.abs)];
    case 'Sqrt':
      onlyAttributes(node, []);
      return [floatOnly(input(0), Math.sqrt)];
    case 'Reciprocal':
      onlyAttributes(node, []);
      return [floatOnly(input(0), (a) => 1 / a)];
  }
  return unsupported(`op ${node.opType} is not supported`);
}

function less(a: Dim, b: Dim): boolean {
  return concrete(a, 'a comparison') < concrete(b, 'a comparison');
}

function constantOf(node: OnnxNode): StaticTensor {
  onlyAttributes(node, ['value', 'value_float', 'value_floats', 'value_int', 'value_ints']);
  const tensor = tensorAttribute(node, 'value');
  if (tensor) return readTensor(tensor);
  const attribute = [...node.attributes.values()][0];
  switch (attribute?.kind) {
    case 'float':
      return { dataType: DataType.FLOAT, shape: [], data: new Float32Array([attribute.value]) };
    case 'floats':
      return { dataType: DataType.FLOAT, shape: [attribute.value.length], data: Float32Array.from(attribute.value) };
    case 'int':
      return { dataType: DataType.INT64, shape: [], data: [attribute.value] };
    case 'ints':
      return { dataType: DataType.INT64, shape: [attribute.value.length], data: [...attribute.value] };
  }
  return unsupported('a Constant without a value');
}

function cast(x: StaticTensor, to: number): StaticTensor {
  if (to === DataType.FLOAT) return { dataType: to, shape: x.shape, data: Float32Array.from(floatValues(x)) };
  if (to === DataType.DOUBLE) return { dataType: to, shape: x.shape, data: floatValues(x) };
  if (to === DataType.FLOAT16 || to === DataType.BFLOAT16) return { dataType: to, shape: x.shape, data: Float32Array.from(floatValues(x)) };
  if (isIntegerType(to)) {
    const data = isFloatData(x.data) ? Array.from(x.data, Math.trunc) : x.data;
    return { dataType: to, shape: x.shape, data };
  }
  if (to === DataType.BOOL) {
    const data = isFloatData(x.data) ? Array.from(x.data, (v) => (v !== 0 ? 1 : 0)) : x.data.map((v) => (isBatchDim(v) || v !== 0 ? 1 : 0));
    return { dataType: to, shape: x.shape, data };
  }
  return unsupported(`Cast to ${dataTypeName(to)} is not supported`);
}

/** NumPy broadcasting of concrete shapes. */
function broadcast(shapes: readonly (readonly number[])[]): number[] {
  const rank = Math.max(...shapes.map((shape) => shape.length));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    let dim = 1;
    for (const shape of shapes) {
      const d = shape[shape.length - rank + i] ?? 1;
      if (d !== 1) {
        if (dim !== 1 && dim !== d) unsupported(`shapes ${shapes.map((s) => `[${s.join(', ')}]`).join(' and ')} do not broadcast`);
        dim = d;
      }
    }
    out.push(dim);
  }
  return out;
}

/** For a flat index of `out`, the flat index of the broadcast input of shape `shape`. */
function broadcastIndex(shape: readonly number[], out: readonly number[]): (index: number) => number {
  const rank = out.length;
  const padded = [...new Array<number>(rank - shape.length).fill(1), ...shape];
  const inStrides = stridesOf(padded).map((stride, i) => (padded[i] === 1 ? 0 : stride));
  const outStrides = stridesOf(out);
  return (index) => {
    let rest = index;
    let at = 0;
    for (let axis = 0; axis < rank; axis++) {
      const q = Math.floor(rest / (outStrides[axis] as number));
      rest -= q * (outStrides[axis] as number);
      at += q * (inStrides[axis] as number);
    }
    return at;
  };
}

/** An elementwise op over broadcast inputs, giving elements of `dataType` (integers/bools as Dims, floats as numbers). */
function elementwise(
  inputs: readonly StaticTensor[],
  dataType: number,
  fn: (values: readonly (Dim | number)[]) => Dim | number,
): StaticTensor {
  const shape = broadcast(inputs.map((t) => t.shape));
  const indices = inputs.map((t) => broadcastIndex(t.shape, shape));
  const size = elementCount(shape);
  const read = (t: StaticTensor, i: number): Dim | number => t.data[i] as Dim | number;
  const values: (Dim | number)[] = new Array(size);
  for (let i = 0; i < size; i++) values[i] = fn(inputs.map((t, k) => read(t, (indices[k] as (index: number) => number)(i))));
  const data: StaticData = isFloatType(dataType) ? Float64Array.from(values, (v) => concrete(v, 'a float')) : (values as Dim[]);
  return { dataType, shape, data };
}

/** Add, Sub, Mul, Div, ...: integers as sizes and batch multiples, floats in float64. */
function arithmetic(
  inputs: readonly StaticTensor[],
  onInts: (...values: Dim[]) => Dim,
  onFloats: (...values: number[]) => number,
): StaticTensor {
  const first = inputs[0] as StaticTensor;
  if (isFloatType(first.dataType)) {
    const values = inputs.map(floatValues);
    return elementwise(
      inputs.map((t, k) => ({ ...t, data: values[k] as Float64Array })),
      first.dataType,
      (v) => onFloats(...(v as number[])),
    );
  }
  return elementwise(inputs, first.dataType, (v) => onInts(...(v as Dim[])));
}

function floatOnly(x: StaticTensor, fn: (value: number) => number): StaticTensor {
  if (!isFloatType(x.dataType)) return unsupported(`expects floats, got ${dataTypeName(x.dataType)}`);
  return { dataType: x.dataType, shape: x.shape, data: floatValues(x).map(fn) };
}

function gather(data: StaticTensor, indices: StaticTensor, axis: number): StaticTensor {
  const rank = data.shape.length;
  const a = normalizeAxis(axis, rank) ?? unsupported(`axis ${axis} is out of range for rank ${rank}`);
  const size = data.shape[a] as number;
  const picks = numberValues(indices, 'a gather index').map((i) => {
    const index = i < 0 ? i + size : i;
    if (index < 0 || index >= size) unsupported(`gather index ${i} is out of range for size ${size}`);
    return index;
  });
  const inner = elementCount(data.shape.slice(a + 1));
  const shape = [...data.shape.slice(0, a), ...indices.shape, ...data.shape.slice(a + 1)];
  return gatherElements(data, shape, (flat) => {
    const o = Math.floor(flat / (picks.length * inner));
    const rest = flat - o * picks.length * inner;
    const p = Math.floor(rest / inner);
    return (o * size + (picks[p] as number)) * inner + (rest - p * inner);
  });
}

/** ONNX Slice's clamped range along one axis of size `dim`: the indices it takes. */
export function sliceIndices(dim: number, start: number, end: number, step: number): number[] {
  if (step === 0) return unsupported('a slice step of 0');
  const clamp = (value: number, low: number, high: number) => Math.min(Math.max(value, low), high);
  const resolve = (value: number) => (value < 0 ? value + dim : value);
  const [first, last] =
    step > 0
      ? [clamp(resolve(start), 0, dim), clamp(resolve(end), 0, dim)]
      : [clamp(resolve(start), -1, dim - 1), clamp(resolve(end), -1, dim - 1)];
  const out: number[] = [];
  for (let i = first; step > 0 ? i < last : i > last; i += step) out.push(i);
  return out;
}

/** The starts, ends, axes and steps of a Slice node: inputs from opset 10 on, attributes before. */
export function sliceArguments(
  node: OnnxNode,
  inputs: readonly (StaticTensor | undefined)[],
  opset: number,
): { starts: number[]; ends: number[]; axes: number[] | undefined; steps: number[] | undefined } {
  if (opset < 10) {
    onlyAttributes(node, ['starts', 'ends', 'axes']);
    return {
      starts: [...(intsAttribute(node, 'starts') ?? [])],
      ends: [...(intsAttribute(node, 'ends') ?? [])],
      axes: intsAttribute(node, 'axes') ? [...(intsAttribute(node, 'axes') ?? [])] : undefined,
      steps: undefined,
    };
  }
  onlyAttributes(node, []);
  const read = (k: number, what: string) => {
    const t = inputs[k];
    return t ? numberValues(t, what) : undefined;
  };
  return {
    starts: read(1, 'slice starts') ?? unsupported('Slice has no starts'),
    ends: read(2, 'slice ends') ?? unsupported('Slice has no ends'),
    axes: read(3, 'slice axes'),
    steps: read(4, 'slice steps'),
  };
}

function slice(node: OnnxNode, inputs: readonly (StaticTensor | undefined)[], opset: number): StaticTensor {
  const x = inputs[0] ?? unsupported('Slice has no data');
  const { starts, ends, axes, steps } = sliceArguments(node, inputs, opset);
  const rank = x.shape.length;
  const picks = x.shape.map((dim) => Array.from({ length: dim }, (_, i) => i));
  starts.forEach((start, k) => {
    const axis = normalizeAxis(axes?.[k] ?? k, rank) ?? unsupported(`slice axis ${axes?.[k] ?? k} is out of range`);
    picks[axis] = sliceIndices(x.shape[axis] as number, start, ends[k] ?? 0, steps?.[k] ?? 1);
  });
  const shape = picks.map((p) => p.length);
  const strides = stridesOf(x.shape);
  const outStrides = stridesOf(shape);
  return gatherElements(x, shape, (flat) =>
    sourceOffset(flat, outStrides, (axis, q) => ((picks[axis] as number[])[q] as number) * (strides[axis] as number)),
  );
}

function concat(inputs: readonly StaticTensor[], axis: number): StaticTensor {
  const first = inputs[0] ?? unsupported('Concat has no inputs');
  const rank = first.shape.length;
  const a = normalizeAxis(axis, rank) ?? unsupported(`axis ${axis} is out of range for rank ${rank}`);
  for (const t of inputs) {
    if (t.shape.length !== rank || t.shape.some((dim, i) => i !== a && dim !== first.shape[i])) {
      unsupported(`cannot concatenate [${first.shape.join(', ')}] and [${t.shape.join(', ')}] along axis ${axis}`);
    }
  }
  const outer = elementCount(first.shape.slice(0, a));
  const inner = elementCount(first.shape.slice(a + 1));
  const shape = [...first.shape];
  shape[a] = inputs.reduce((total, t) => total + (t.shape[a] as number), 0);
  const float = isFloatType(first.dataType);
  const pieces: (number | Dim)[] = [];
  for (let o = 0; o < outer; o++) {
    for (const t of inputs) {
      const chunk = (t.shape[a] as number) * inner;
      const values = float ? floatValues(t) : dimValues(t);
      for (let i = 0; i < chunk; i++) pieces.push(values[o * chunk + i] as Dim);
    }
  }
  return { dataType: first.dataType, shape, data: float ? Float64Array.from(pieces as number[]) : (pieces as Dim[]) };
}

function transpose(x: StaticTensor, perm: readonly number[] | undefined): StaticTensor {
  const rank = x.shape.length;
  const order = perm ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
  const shape = order.map((axis) => x.shape[axis] as number);
  const strides = stridesOf(x.shape);
  const outStrides = stridesOf(shape);
  return gatherElements(x, shape, (flat) => sourceOffset(flat, outStrides, (axis, q) => q * (strides[order[axis] as number] as number)));
}

export function unsqueezeShape<D>(shape: readonly D[], axes: readonly number[]): (D | 1)[] {
  const rank = shape.length + axes.length;
  const positions = new Set(axes.map((axis) => normalizeAxis(axis, rank) ?? unsupported(`unsqueeze axis ${axis} is out of range`)));
  if (positions.size !== axes.length) unsupported(`unsqueeze axes [${axes.join(', ')}] repeat`);
  const out: (D | 1)[] = [];
  let next = 0;
  for (let i = 0; i < rank; i++) out.push(positions.has(i) ? 1 : (shape[next++] as D));
  return out;
}

export function squeezeShape<D>(shape: readonly D[], axes: readonly number[] | undefined): D[] {
  const rank = shape.length;
  const positions = new Set(
    (axes ?? shape.flatMap((dim, i) => (dim === 1 ? [i] : []))).map(
      (axis) => normalizeAxis(axis, rank) ?? unsupported(`squeeze axis ${axis} is out of range`),
    ),
  );
  for (const axis of positions) if (shape[axis] !== 1) unsupported(`squeezes axis ${axis}, which is not of size 1`);
  return shape.filter((_, i) => !positions.has(i));
}

function reshapeShape(shape: readonly number[], target: readonly number[], allowZero: boolean): number[] {
  const size = elementCount(shape);
  const out = target.map((dim, i) => (dim === 0 && !allowZero ? (shape[i] ?? unsupported('a reshape copies a missing axis')) : dim));
  const inferred = out.indexOf(-1);
  if (inferred >= 0) out[inferred] = size / elementCount(out.filter((_, i) => i !== inferred));
  if (elementCount(out) !== size || out.some((dim) => !Number.isInteger(dim) || dim < 0)) {
    unsupported(`cannot reshape [${shape.join(', ')}] to [${target.join(', ')}]`);
  }
  return out;
}

/**
 * The source offset of output element `flat`: its index along each output
 * axis (from the output's strides), turned into a source offset by `offset`.
 */
function sourceOffset(flat: number, outStrides: readonly number[], offset: (axis: number, index: number) => number): number {
  let rest = flat;
  let at = 0;
  for (let axis = 0; axis < outStrides.length; axis++) {
    const index = Math.floor(rest / (outStrides[axis] as number));
    rest -= index * (outStrides[axis] as number);
    at += offset(axis, index);
  }
  return at;
}
