/**
 * What every ensemble op defines, in one place: its manifest schema, its shape
 * rule, the parameters it owns (PyTorch `state_dict` names and layouts), a
 * float64 reference forward for one member, and its vectorized ONNX form.
 */
import type { z } from 'zod';
import type { OnnxLayerContext, VectorValue } from '../kernels/onnx-kernel.js';
import type { TfjsLayerContext, TfjsValue } from '../kernels/tfjs-kernel.js';

/** A float64 tensor for the reference forward: batch first, `[B, ...sample]`. */
export interface ReferenceTensor {
  readonly shape: readonly number[];
  readonly data: Float64Array;
}

/** Result of a shape rule: the output sample shape, or what is wrong. */
export type ShapeResult =
  | { readonly shape: readonly number[]; readonly problems?: undefined }
  | { readonly problems: readonly string[]; readonly shape?: readonly number[] };

/**
 * A layer op: a PyTorch module acting on batch-first rows (`[rows, ...sample]`,
 * the rows being the batch or a multiple of it), owning the parameters
 * `<name>.<suffix>`. Tensor ops (`tensor-op.ts`) are the other kind.
 */
export interface OpDefinition<Layer extends { op: string }> {
  readonly kind?: 'layer';
  readonly op: Layer['op'];
  readonly schema: z.ZodType<Layer>;
  /**
   * Output sample shape (batch axis excluded) for an input sample shape. On a
   * mismatch it reports problems and, where the layer alone determines it, the
   * output shape anyway, so that later layers can still be checked.
   */
  inferShape(layer: Layer, input: readonly number[]): ShapeResult;
  /** Parameter suffixes and their per-member shapes, e.g. `{ weight: [out, in] }`. */
  parameters?(layer: Layer, input: readonly number[]): Readonly<Record<string, readonly number[]>>;
  /** Buffers a PyTorch `state_dict` may hold for this layer that inference ignores. */
  readonly ignorableBuffers?: readonly string[];
  /** Multiply-adds per sample (for throughput figures). */
  multiplyAdds?(layer: Layer, input: readonly number[], output: readonly number[]): number;
  /** One member, float64, straight from the PyTorch definition. */
  reference(layer: Layer, x: ReferenceTensor, params: Readonly<Record<string, Float64Array>>): ReferenceTensor;
  /** The vectorized form: all N members in one ONNX subgraph. */
  onnx(ctx: OnnxLayerContext, layer: Layer, x: VectorValue): VectorValue;
  /** The TensorFlow.js form, as vectorized as the backend allows. */
  tfjs(ctx: TfjsLayerContext, layer: Layer, x: TfjsValue): TfjsValue;
}

/** Helper so each op file gets its `Layer` type inferred from its schema. */
export function defineOp<Layer extends { op: string }>(definition: OpDefinition<Layer>): OpDefinition<Layer> {
  return definition;
}

/** Applies `fn` to every element: the reference form of an elementwise op. */
export function mapReference(x: ReferenceTensor, fn: (value: number) => number): ReferenceTensor {
  const data = new Float64Array(x.data.length);
  for (let i = 0; i < data.length; i++) data[i] = fn(x.data[i] as number);
  return { shape: x.shape, data };
}
