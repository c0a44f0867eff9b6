/**
 * ONNX nodes that become tensor ops: `MatMul` -> `matmul`, other `Gemm`s ->
 * `gemm`, `Add`/`Sub`/`Mul`/`Div`/`Pow` -> arithmetic, `Reshape`,
 * `Transpose`, `Squeeze`, `Unsqueeze`, `Concat`, `Slice`, `Gather`,
 * `ReduceMean` -> the ops of those names, with their static inputs (shapes,
 * axes, starts) written as fields and their other static inputs as
 * `parameter`/`constant` layers. `Identity`, `Dropout` and a `Cast` to the
 * value's own type are dropped. Shapes are followed symbolically (the batch a
 * symbol), so that reshape targets can be written out with the
 * batch-carrying dim as -1 and every other dim explicit.
 */
import {
  broadcastShapes,
  type Dim,
  formatSymbolicShape,
  isBatchDim,
  normalizeAxis,
  reshapeTarget,
  type SymbolicShape,
  sameDim,
  symbolicSize,
} from '../tensor/symbolic-shape.js';
import type { ValueDtype } from '../tensor/value-info.js';
import { floatAttribute, intAttribute, intsAttribute, onlyAttributes, refuseAttribute } from './attributes.js';
import { sliceArguments, sliceIndices, squeezeShape, unsqueezeShape } from './fold-node.js';
import type { DynamicValue, Value } from './manifest-builder.js';
import { dynamicInput, inputAt, type NodeContext, outputName, sharedNumbers, sharedTensor, staticInput } from './node-context.js';
import { unsupported } from './onnx-import-error.js';
import { DataType, dataTypeName, dimValues, formatDims, isFloatType } from './static-tensor.js';

/** Maps a node that becomes a tensor op, or is dropped; refuses any other op. */
export function mapTensorNode(ctx: NodeContext): Value {
  const { node } = ctx;
  switch (node.opType) {
    case 'Identity':
      onlyAttributes(node, []);
      return dynamicInput(ctx, 0);
    case 'Dropout':
      onlyAttributes(node, ['seed', 'ratio', 'is_test']);
      return dynamicInput(ctx, 0);
    case 'Cast': {
      onlyAttributes(node, ['to', 'saturate', 'round_mode']);
      const x = dynamicInput(ctx, 0);
      const to = intAttribute(node, 'to', 0);
      if (dtypeOf(to) === x.dtype) return x;
      return unsupported(`a Cast from ${x.dtype} to ${dataTypeName(to)} is not supported on values that depend on the input`);
    }
    case 'MatMul':
      onlyAttributes(node, []);
      return matmul(ctx);
    case 'Gemm':
      return gemm(ctx);
    case 'Add':
    case 'Sub':
    case 'Mul':
    case 'Div':
    case 'Pow':
      onlyAttributes(node, []);
      return arithmetic(ctx, node.opType.toLowerCase());
    case 'Reshape':
      return reshape(ctx);
    case 'Transpose':
      return transpose(ctx);
    case 'Squeeze':
    case 'Unsqueeze':
      return squeezeOrUnsqueeze(ctx);
    case 'Concat':
      return concat(ctx);
    case 'Slice':
      return slice(ctx);
    case 'Gather':
      return gather(ctx);
    case 'ReduceMean':
      return reduceMean(ctx);
  }
  const op = node.domain && node.domain !== 'ai.onnx' ? `${node.domain}.${node.opType}` : node.opType;
  return unsupported(`op ${op} is not supported`);
}

function dtypeOf(dataType: number): ValueDtype | undefined {
  return dataType === DataType.FLOAT ? 'float32' : dataType === DataType.INT64 ? 'int64' : undefined;
}

/** Input k as a manifest value: dynamic as it is, static as a `parameter` or `constant` layer. */
function valueInput(ctx: NodeContext, k: number): DynamicValue {
  const value = inputAt(ctx, k);
  return value.kind === 'dynamic' ? value : ctx.builder.materialize(value);
}

function requireFloat(values: readonly DynamicValue[], what: string): void {
  for (const value of values) if (value.dtype !== 'float32') unsupported(`${what} takes float32 values; ${value.id} is ${value.dtype}`);
}

function singleBatchAxis(shape: SymbolicShape, what: string): SymbolicShape {
  if (shape.filter(isBatchDim).length > 1) unsupported(`${what} would give ${formatSymbolicShape(shape)}, with two batch axes`);
  return shape;
}

function add(
  ctx: NodeContext,
  layer: { op: string } & Record<string, unknown>,
  inputs: readonly DynamicValue[],
  shape: SymbolicShape,
  dtype: ValueDtype,
): DynamicValue {
  return ctx.builder.add(outputName(ctx), layer, inputs, singleBatchAxis(shape, layer.op), dtype);
}

function arithmetic(ctx: NodeContext, op: string): DynamicValue {
  const a = valueInput(ctx, 0);
  const b = valueInput(ctx, 1);
  requireFloat([a, b], op);
  const result = broadcastShapes(a.shape, b.shape);
  if ('problem' in result) return unsupported(result.problem);
  return add(ctx, { op }, [a, b], result.shape, 'float32');
}

function matmulShape(a: SymbolicShape, b: SymbolicShape): SymbolicShape {
  if (a.length === 0 || b.length === 0) return unsupported('MatMul of a scalar');
  const left = a.length === 1 ? [1, ...a] : a;
  const right = b.length === 1 ? [...b, 1] : b;
  const k1 = left[left.length - 1] as Dim;
  const k2 = right[right.length - 2] as Dim;
  if (!sameDim(k1, k2)) unsupported(`cannot multiply ${formatSymbolicShape(a)} by ${formatSymbolicShape(b)}`);
  const batch = broadcastShapes(left.slice(0, -2), right.slice(0, -2));
  if ('problem' in batch) return unsupported(batch.problem);
  return [
    ...batch.shape,
    ...(a.length === 1 ? [] : [left[left.length - 2] as Dim]),
    ...(b.length === 1 ? [] : [right[right.length - 1] as Dim]),
  ];
}

function matmul(ctx: NodeContext): DynamicValue {
  const a = valueInput(ctx, 0);
  const b = valueInput(ctx, 1);
  requireFloat([a, b], 'matmul');
  return add(ctx, { op: 'matmul' }, [a, b], matmulShape(a.shape, b.shape), 'float32');
}

function gemm(ctx: NodeContext): DynamicValue {
  const { node } = ctx;
  onlyAttributes(node, ['alpha', 'beta', 'transA', 'transB']);
  const alpha = floatAttribute(node, 'alpha', 1);
  const beta = floatAttribute(node, 'beta', 1);
  const transA = intAttribute(node, 'transA', 0) === 1;
  const transB = intAttribute(node, 'transB', 0) === 1;
  const inputs = [valueInput(ctx, 0), valueInput(ctx, 1), ...(ctx.inputs[2] ? [valueInput(ctx, 2)] : [])];
  requireFloat(inputs, 'gemm');
  const [a, b] = inputs as [DynamicValue, DynamicValue];
  if (a.shape.length !== 2 || b.shape.length !== 2)
    unsupported(`Gemm takes 2-D inputs, got ${formatSymbolicShape(a.shape)} and ${formatSymbolicShape(b.shape)}`);
  const [m, k1] = (transA ? [a.shape[1], a.shape[0]] : a.shape) as [Dim, Dim];
  const [k2, n] = (transB ? [b.shape[1], b.shape[0]] : b.shape) as [Dim, Dim];
  if (!sameDim(k1, k2)) unsupported(`cannot multiply ${formatSymbolicShape(a.shape)} by ${formatSymbolicShape(b.shape)}`);
  const c = inputs[2];
  if (c && 'problem' in broadcastShapes([m, n], c.shape))
    unsupported(`its bias ${formatSymbolicShape(c.shape)} does not broadcast to [${m}, ${n}]`);
  return add(ctx, { op: 'gemm', alpha, beta, transA, transB }, inputs, [m, n], 'float32');
}

/**
 * The output of reshaping `input` to `target` (numbers and batch multiples;
 * 0 copies the input's dim unless `allowZero`, -1 is inferred), or the refusal.
 */
export function reshapeShape(input: SymbolicShape, target: readonly Dim[], allowZero: boolean): SymbolicShape {
  const what = `reshape ${formatSymbolicShape(input)} to ${formatDims(target)}`;
  if (target.filter((dim) => dim === -1).length > 1) unsupported(`cannot ${what}: -1 appears more than once`);
  const out: Dim[] = target.map((dim, i) => {
    if (dim !== 0) return dim;
    if (allowZero) return unsupported(`cannot ${what}: a size-0 axis`);
    return input[i] ?? unsupported(`cannot ${what}: 0 copies an axis the input lacks`);
  });
  if (out.some((dim) => typeof dim === 'number' && dim < -1)) unsupported(`cannot ${what}`);
  const total = symbolicSize(input);
  const inferred = out.indexOf(-1);
  if (inferred >= 0) {
    const known = symbolicSize(out.filter((_, i) => i !== inferred));
    const rest = total.size / known.size;
    if (!Number.isInteger(rest) || rest < 1 || (known.batched && !total.batched)) unsupported(`cannot ${what}`);
    out[inferred] = total.batched && !known.batched ? { batch: rest } : rest;
  }
  const result = symbolicSize(out);
  if (result.size !== total.size || result.batched !== total.batched) unsupported(`cannot ${what}`);
  return out;
}

function reshape(ctx: NodeContext): DynamicValue {
  const { node } = ctx;
  onlyAttributes(node, ['allowzero', 'shape']);
  const x = dynamicInput(ctx, 0, 'the reshaped value');
  const target =
    ctx.opset >= 5
      ? dimValues(sharedTensor(staticInput(ctx, 1, 'the reshape target'), 'the reshape target'))
      : (intsAttribute(node, 'shape') ?? unsupported('Reshape has no shape'));
  const shape = reshapeShape(x.shape, target, intAttribute(node, 'allowzero', 0) === 1);
  return add(ctx, { op: 'reshape', shape: reshapeTarget(shape) }, [x], shape, x.dtype);
}

function transpose(ctx: NodeContext): DynamicValue {
  onlyAttributes(ctx.node, ['perm']);
  const x = dynamicInput(ctx, 0);
  const rank = x.shape.length;
  const perm = intsAttribute(ctx.node, 'perm') ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
  if (perm.length !== rank || new Set(perm).size !== rank || perm.some((axis) => axis < 0 || axis >= rank))
    refuseAttribute(ctx.node, 'perm', `the input is ${formatSymbolicShape(x.shape)}`);
  return add(
    ctx,
    { op: 'transpose', perm: [...perm] },
    [x],
    perm.map((axis) => x.shape[axis] as Dim),
    x.dtype,
  );
}

function axesOf(ctx: NodeContext, what: string): number[] | undefined {
  if (ctx.opset >= 13 || ctx.node.opType === 'ReduceMean') {
    const value = ctx.inputs[1];
    if (value) return sharedNumbers(staticInput(ctx, 1, what), what);
    if (ctx.node.opType !== 'ReduceMean' || ctx.opset >= 18) return undefined;
  }
  const axes = intsAttribute(ctx.node, 'axes');
  return axes ? [...axes] : undefined;
}

function squeezeOrUnsqueeze(ctx: NodeContext): DynamicValue {
  onlyAttributes(ctx.node, ['axes']);
  const x = dynamicInput(ctx, 0);
  const axes = axesOf(ctx, 'the axes');
  if (ctx.node.opType === 'Unsqueeze') {
    if (!axes) return unsupported('Unsqueeze has no axes');
    return add(ctx, { op: 'unsqueeze', axes }, [x], unsqueezeShape(x.shape, axes), x.dtype);
  }
  // Without axes, Squeeze drops the axes of size 1; the batch axis counts as not (written out explicitly).
  const squeezed = axes ?? x.shape.flatMap((dim, i) => (dim === 1 ? [i] : []));
  return add(ctx, { op: 'squeeze', axes: squeezed }, [x], squeezeShape(x.shape, squeezed), x.dtype);
}

function concat(ctx: NodeContext): DynamicValue {
  onlyAttributes(ctx.node, ['axis']);
  const inputs = ctx.inputs.map((_, k) => valueInput(ctx, k));
  const first = inputs[0] ?? unsupported('Concat has no inputs');
  const rank = first.shape.length;
  const axis = intAttribute(ctx.node, 'axis') ?? unsupported('Concat has no axis');
  const index = normalizeAxis(axis, rank) ?? refuseAttribute(ctx.node, 'axis', `the inputs have rank ${rank}`);
  const fail = () =>
    unsupported(`cannot concatenate ${inputs.map((input) => formatSymbolicShape(input.shape)).join(', ')} along axis ${axis}`);
  let joined: Dim = 0;
  for (const input of inputs) {
    if (input.dtype !== first.dtype || input.shape.length !== rank) fail();
    if (input.shape.some((dim, i) => i !== index && !sameDim(dim, first.shape[i] as Dim))) fail();
    const dim = input.shape[index] as Dim;
    if (typeof joined === 'number' && typeof dim === 'number') joined += dim;
    else if (isBatchDim(dim) && (joined === 0 || isBatchDim(joined)))
      joined = { batch: (joined === 0 ? 0 : (joined as { batch: number }).batch) + dim.batch };
    else fail();
  }
  const shape = first.shape.map((dim, i) => (i === index ? joined : dim));
  return add(ctx, { op: 'concat', axis }, inputs, shape, first.dtype);
}

/** A huge int64 bound (INT64_MAX, INT64_MIN) as the exporters write "to the end". */
const UNBOUNDED = 2 ** 53;

function slice(ctx: NodeContext): Value {
  const x = dynamicInput(ctx, 0, 'the sliced value');
  const statics = ctx.inputs.map((value, k) =>
    k === 0 || value === undefined ? undefined : sharedTensor(staticInput(ctx, k, 'a slice bound'), 'a slice bound'),
  );
  const { starts, ends, axes, steps } = sliceArguments(ctx.node, statics, ctx.opset);
  const rank = x.shape.length;
  const shape = [...x.shape];
  const kept: { axis: number; start: number; end: number; step: number }[] = [];
  starts.forEach((start, k) => {
    const given = axes?.[k] ?? k;
    const axis = normalizeAxis(given, rank) ?? unsupported(`slice axis ${given} is out of range for ${formatSymbolicShape(x.shape)}`);
    const end = ends[k] ?? unsupported('a slice end is missing');
    const step = steps?.[k] ?? 1;
    const dim = x.shape[axis] as Dim;
    if (isBatchDim(dim)) {
      // The whole batch axis is a no-op; any other slice of it depends on the batch size.
      if (step === 1 && (start === 0 || start <= -UNBOUNDED) && end >= UNBOUNDED) return;
      unsupported(`slices the batch axis ${given} of ${formatSymbolicShape(x.shape)} (from ${start} to ${end} by ${step})`);
    }
    const picks = sliceIndices(dim as number, start, end, step);
    if (picks.length === 0) unsupported(`slices axis ${given} of ${formatSymbolicShape(x.shape)} to nothing`);
    const first = picks[0] as number;
    const last = picks[picks.length - 1] as number;
    // Explicit, non-negative bounds; a negative step's end before index 0 is written -(dim+1).
    const stop = step > 0 ? last + 1 : last - 1 < 0 ? -((dim as number) + 1) : last - 1;
    shape[axis] = picks.length;
    if (picks.length !== dim || step !== 1) kept.push({ axis, start: first, end: stop, step });
  });
  if (kept.length === 0) return x;
  const layer = {
    op: 'slice',
    starts: kept.map((s) => s.start),
    ends: kept.map((s) => s.end),
    axes: kept.map((s) => s.axis),
    ...(kept.some((s) => s.step !== 1) ? { steps: kept.map((s) => s.step) } : {}),
  };
  return add(ctx, layer, [x], shape, x.dtype);
}

function gather(ctx: NodeContext): DynamicValue {
  onlyAttributes(ctx.node, ['axis']);
  const data = valueInput(ctx, 0);
  const axis = intAttribute(ctx.node, 'axis', 0);
  const index =
    normalizeAxis(axis, data.shape.length) ?? refuseAttribute(ctx.node, 'axis', `the data is ${formatSymbolicShape(data.shape)}`);
  const dim = data.shape[index] as Dim;
  if (isBatchDim(dim)) unsupported(`gathers along the batch axis of ${formatSymbolicShape(data.shape)}`);
  const rawIndices = inputAt(ctx, 1);
  let indices: DynamicValue;
  if (rawIndices.kind === 'static') {
    if (isFloatType(rawIndices.dataType)) unsupported(`its indices ${rawIndices.name} are ${dataTypeName(rawIndices.dataType)}`);
    // Negative indices count from the end: written out as the indices they stand for.
    const tensor = sharedTensor(rawIndices, 'the gather indices');
    const original = dimValues(tensor);
    const normalized = original.map((i) => (typeof i === 'number' && i < 0 ? i + (dim as number) : i));
    const changed = normalized.some((i, n) => i !== original[n]);
    indices = ctx.builder.materialize({
      ...rawIndices,
      name: changed ? `${rawIndices.name}.from_end_of_${dim}` : rawIndices.name,
      dataType: DataType.INT64,
      tensors: () => rawIndices.tensors().map(() => ({ ...tensor, dataType: DataType.INT64, data: normalized })),
    });
  } else {
    indices = rawIndices;
    if (indices.dtype !== 'int64') unsupported(`its indices ${indices.id} are ${indices.dtype}`);
  }
  const shape = [...data.shape.slice(0, index), ...indices.shape, ...data.shape.slice(index + 1)];
  return add(ctx, { op: 'gather', axis }, [data, indices], shape, data.dtype);
}

function reduceMean(ctx: NodeContext): DynamicValue {
  const { node } = ctx;
  onlyAttributes(node, ['axes', 'keepdims', 'noop_with_empty_axes']);
  const x = dynamicInput(ctx, 0);
  requireFloat([x], 'reducemean');
  const keepdims = intAttribute(node, 'keepdims', 1) === 1;
  const given = axesOf(ctx, 'the axes');
  const rank = x.shape.length;
  if (!given?.length && intAttribute(node, 'noop_with_empty_axes', 0) === 1) return x;
  const axes = given?.length ? given : Array.from({ length: rank }, (_, i) => i);
  const reduced = new Set(
    axes.map((axis) => normalizeAxis(axis, rank) ?? unsupported(`axis ${axis} is out of range for ${formatSymbolicShape(x.shape)}`)),
  );
  for (const axis of reduced)
    if (isBatchDim(x.shape[axis] as Dim)) unsupported(`averages over the batch axis of ${formatSymbolicShape(x.shape)}`);
  const shape = x.shape.flatMap((dim, i) => (reduced.has(i) ? (keepdims ? [1] : []) : [dim]));
  return add(ctx, { op: 'reducemean', ...(given?.length ? { axes: [...given] } : {}), keepdims }, [x], shape, x.dtype);
}
