/**
 * What a node mapper gets: the node, its inputs as values, the builder to
 * write layers into, and helpers to read static inputs that must be the
 * same literal for every member (axes, shapes, clip bounds).
 */
import type { SymbolicShape } from '../tensor/symbolic-shape.js';
import { formatSymbolicShape, isBatchDim } from '../tensor/symbolic-shape.js';
import type { OnnxNode } from './decode-onnx.js';
import type { DynamicValue, ManifestBuilder, StaticValue, Value } from './manifest-builder.js';
import { unsupported } from './onnx-import-error.js';
import { numberValues, type StaticTensor, sameStaticData } from './static-tensor.js';

export interface NodeContext {
  readonly node: OnnxNode;
  /** By position; `undefined` for an omitted optional input. */
  readonly inputs: readonly (Value | undefined)[];
  readonly builder: ManifestBuilder;
  /** The `ai.onnx` opset the file imports. */
  readonly opset: number;
}

export function inputAt(ctx: NodeContext, k: number): Value {
  return ctx.inputs[k] ?? unsupported(`input ${k} is missing`);
}

/** An input that depends on the graph's input. */
export function dynamicInput(ctx: NodeContext, k: number, what = `input ${k}`): DynamicValue {
  const value = inputAt(ctx, k);
  if (value.kind !== 'dynamic')
    return unsupported(`${what} (${value.name}) is expected to depend on the input, but is known at import time`);
  return value;
}

/** An input known at import time (an initializer, a Constant, a folded value). */
export function staticInput(ctx: NodeContext, k: number, what = `input ${k}`): StaticValue {
  const value = inputAt(ctx, k);
  if (value.kind !== 'static')
    return unsupported(`${what} must be known at import time (an initializer or a constant), but depends on the input`);
  return value;
}

export function optionalStaticInput(ctx: NodeContext, k: number, what = `input ${k}`): StaticValue | undefined {
  return ctx.inputs[k] === undefined ? undefined : staticInput(ctx, k, what);
}

/** A static value's copy, required to be the same in every member (an attribute-like input). */
export function sharedTensor(value: StaticValue, what: string): StaticTensor {
  const [first, ...rest] = value.tensors();
  if (!first) return unsupported(`${what} has no value`);
  if (rest.some((tensor) => !sameStaticData(tensor.data, first.data))) unsupported(`${what} (${value.name}) differs between members`);
  return first;
}

/** A shared static input read as plain integers (axes, starts, a reshape target without the batch). */
export function sharedNumbers(value: StaticValue, what: string): number[] {
  return numberValues(sharedTensor(value, what), what);
}

/** A shared static float scalar (a clip bound). */
export function sharedScalar(value: StaticValue, what: string): number {
  const values = sharedNumbers(value, what);
  if (values.length !== 1) unsupported(`${what} must be a scalar, got ${values.length} values`);
  return values[0] as number;
}

/**
 * A value as batch-first rows, `[k*batch, ...sample]`, the form layer ops
 * (PyTorch modules) act on: its sample shape, or the refusal.
 */
export function rowsOf(value: DynamicValue, what = 'its input'): { lead: SymbolicShape[number]; sample: number[] } {
  const [lead, ...rest] = value.shape;
  if (lead === undefined || !isBatchDim(lead) || rest.some(isBatchDim)) {
    return unsupported(`${what} is ${formatSymbolicShape(value.shape)}; this op is supported on batch-first values [k*batch, ...] only`);
  }
  if (value.dtype !== 'float32') unsupported(`${what} is ${value.dtype}; this op takes float32`);
  return { lead, sample: rest as number[] };
}

/** The name the node's first output gets in the manifest. */
export function outputName(ctx: NodeContext): string {
  return ctx.builder.valueName(ctx.node.outputs[0] ?? '', `node${ctx.node.index}`);
}
