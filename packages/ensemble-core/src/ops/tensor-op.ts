/**
 * What every tensor op defines: the ops of a graph manifest that work on
 * whole per-member tensors (their batch axis anywhere, or none) and take
 * named values as inputs, as ONNX nodes do: elementwise arithmetic, matrix
 * products, reshapes, gathers. Beside them, layer ops (`op-definition.ts`)
 * are PyTorch modules acting on batch-first rows and owning their parameters.
 *
 * Each tensor op gives its shape rule on symbolic shapes, a float64 reference
 * for one member, and its vectorization rule per engine: how it runs for N
 * members at once, given inputs that are `shared` (one tensor for every
 * member) or `members` (`[N, ...]`).
 */
import type { z } from 'zod';
import type { GraphValue, OnnxTensorContext } from '../kernels/onnx-kernel.js';
import type { TfjsGraphValue, TfjsTensorContext } from '../kernels/tfjs-kernel.js';
import type { ValueInfo } from '../tensor/value-info.js';
import type { ReferenceTensor } from './op-definition.js';

/** Result of a tensor op's shape rule: its output, or what is wrong. */
export type ValueResult =
  | { readonly value: ValueInfo; readonly problems?: undefined }
  | { readonly problems: readonly string[]; readonly value?: undefined };

export interface TensorOpDefinition<Layer extends { op: string }> {
  readonly kind: 'tensor';
  readonly op: Layer['op'];
  readonly schema: z.ZodType<Layer>;
  /** How many input values it takes, at least and at most. */
  readonly arity: readonly [number, number];
  /**
   * Acts value by value: given inputs of one shape in one layout, its ONNX
   * form (written for `members`) is right in any layout, so an engine may
   * keep convolutions' member-stacked channels through it (a residual
   * addition between two convolutions).
   */
  readonly elementwise?: boolean;
  inferValue(layer: Layer, inputs: readonly ValueInfo[]): ValueResult;
  /** Stacked parameters it declares: full name to per-member shape (the `parameter` op). */
  parameters?(layer: Layer): Readonly<Record<string, readonly number[]>>;
  /** Multiply-adds for one sample (batch size 1), for throughput figures. */
  multiplyAdds?(layer: Layer, inputs: readonly ValueInfo[], output: ValueInfo): number;
  /**
   * One member, float64, from the op's PyTorch/ONNX definition. Inputs and
   * output have concrete shapes; `params` holds this member's slice of the
   * parameters the op declares, by full name; `infos` the inputs' symbolic
   * shapes (which axis is the batch, which a batch of one cannot tell).
   */
  reference(
    layer: Layer,
    inputs: readonly ReferenceTensor[],
    params: Readonly<Record<string, Float64Array>>,
    infos: readonly ValueInfo[],
  ): ReferenceTensor;
  /** The vectorized ONNX form (the loop strategy runs it with N = 1). */
  onnx(ctx: OnnxTensorContext, layer: Layer, inputs: readonly GraphValue[]): GraphValue;
  /** The TensorFlow.js form. */
  tfjs(ctx: TfjsTensorContext, layer: Layer, inputs: readonly TfjsGraphValue[]): TfjsGraphValue;
}

/** Helper so each tensor op file gets its `Layer` type inferred from its schema. */
export function defineTensorOp<Layer extends { op: string }>(
  definition: Omit<TensorOpDefinition<Layer>, 'kind'>,
): TensorOpDefinition<Layer> {
  return { kind: 'tensor', ...definition };
}

/** Strides of a row-major shape, for reference implementations. */
export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) strides[i] = (strides[i + 1] as number) * (shape[i + 1] as number);
  return strides;
}

/**
 * A shape rule's result where it can no longer fail: engines and the
 * reference meet only manifests whose shape rules passed, so a problem here
 * is a bug, thrown with the op's name.
 */
export function passed<Result extends object>(op: string, result: Result): Exclude<Result, { problem: string }> {
  if ('problem' in result) throw new Error(`${op}: ${String(result.problem)}`);
  return result as Exclude<Result, { problem: string }>;
}
