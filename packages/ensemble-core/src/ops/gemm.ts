/**
 * `gemm`: ONNX Gemm, `Y = alpha * A' B' + beta * C` with `A' = transA ? Aᵀ : A`
 * and `B' = transB ? Bᵀ : B` (PyTorch's `torch.addmm`; `nn.Linear` exports
 * as `Gemm(x, W, b, transB=1)`). Inputs `[A, B]` or `[A, B, C]`, float32: A
 * and B 2-D, C broadcast to the `[M, N]` result (unidirectionally, as ONNX
 * says: `[]`, `[N]`, `[1, N]`, `[M, 1]`, `[M, N]`). Fields `alpha` (1),
 * `beta` (1), `transA` (false), `transB` (false). The batch axis may be M or
 * N, not the summed K.
 *
 * Vectorization: shared A, B and C keep ONNX's Gemm. Otherwise Gemm, 2-D
 * only, becomes MatMul on the member axis: a transposed members operand
 * swaps its last two axes (a Transpose ONNX Runtime folds for initializers),
 * a shared one broadcasts over the members, alpha and beta scale only where
 * they differ from 1, and a members C gets a unit axis after its member axis
 * so that it adds member to member. TensorFlow.js multiplies with its own
 * transpose flags.
 */
import { z } from 'zod';
import { padMembersRank } from '../kernels/onnx-kernel.js';
import { padTfjsMembersRank } from '../kernels/tfjs-kernel.js';
import {
  broadcastShapes,
  concreteShape,
  type Dim,
  formatDim,
  formatSymbolicShape,
  isBatchDim,
  type SymbolicShape,
  sameDim,
  sameSymbolicShape,
} from '../tensor/symbolic-shape.js';
import { sizeOf } from '../tensor/tensor.js';
import type { ValueInfo } from '../tensor/value-info.js';
import { broadcastReference } from './arithmetic.js';
import { matmulReference } from './matmul.js';
import type { ReferenceTensor } from './op-definition.js';
import { defineTensorOp, passed } from './tensor-op.js';

export const gemmLayer = z
  .object({
    op: z.literal('gemm'),
    alpha: z.number().finite().default(1),
    beta: z.number().finite().default(1),
    transA: z.boolean().default(false),
    transB: z.boolean().default(false),
  })
  .strict();
export type GemmLayer = z.infer<typeof gemmLayer>;

/** The result's shape and the summed dimension, or what is wrong. */
function planGemm(layer: GemmLayer, inputs: readonly ValueInfo[]): { shape: SymbolicShape; inner: number } | { problem: string } {
  const [a, b, c] = inputs as [ValueInfo, ValueInfo, ValueInfo | undefined];
  if (inputs.some((x) => x.dtype !== 'float32')) return { problem: `takes float32 inputs, got ${inputs.map((x) => x.dtype).join(', ')}` };
  if (a.shape.length !== 2 || b.shape.length !== 2) {
    return { problem: `multiplies 2-D A and B, got ${formatSymbolicShape(a.shape)} and ${formatSymbolicShape(b.shape)}` };
  }
  const [m, k] = (layer.transA ? [a.shape[1], a.shape[0]] : a.shape) as [Dim, Dim];
  const [kb, n] = (layer.transB ? [b.shape[1], b.shape[0]] : b.shape) as [Dim, Dim];
  const shapes = `A ${formatSymbolicShape(a.shape)}${layer.transA ? ' (transA)' : ''} and B ${formatSymbolicShape(b.shape)}${layer.transB ? ' (transB)' : ''}`;
  if (!sameDim(k, kb)) return { problem: `${shapes} do not multiply: inner dimensions ${formatDim(k)} and ${formatDim(kb)} differ` };
  if (isBatchDim(k)) return { problem: `of ${shapes} would sum over the batch axis; each sample must stay apart` };
  const shape = [m, n];
  if (isBatchDim(m) && isBatchDim(n)) return { problem: `of ${shapes} would give two batch axes, ${formatSymbolicShape(shape)}` };
  if (c) {
    const broadcast = broadcastShapes(c.shape, shape);
    if (c.shape.length > 2 || 'problem' in broadcast || !sameSymbolicShape(broadcast.shape, shape)) {
      return { problem: `C ${formatSymbolicShape(c.shape)} does not broadcast to the result ${formatSymbolicShape(shape)}` };
    }
  }
  return { shape, inner: k as number };
}

function planOrThrow(layer: GemmLayer, inputs: readonly ValueInfo[]): { shape: SymbolicShape; inner: number } {
  return passed('gemm', planGemm(layer, inputs));
}

export const gemm = defineTensorOp<GemmLayer>({
  op: 'gemm',
  schema: gemmLayer,
  arity: [2, 3],
  inferValue(layer, inputs) {
    if (inputs.length < 2) return { problems: ['takes two or three inputs'] };
    const plan = planGemm(layer, inputs);
    return 'problem' in plan ? { problems: [plan.problem] } : { value: { shape: plan.shape, dtype: 'float32' } };
  },
  multiplyAdds(layer, inputs, output) {
    const plan = planGemm(layer, inputs);
    return 'problem' in plan ? 0 : sizeOf(concreteShape(output.shape, 1)) * plan.inner;
  },
  reference(layer, [a, b, c]) {
    const transposed = (x: ReferenceTensor, swap: boolean): ReferenceTensor => (swap ? transpose2d(x) : x);
    const product = matmulReference(transposed(a as ReferenceTensor, layer.transA), transposed(b as ReferenceTensor, layer.transB));
    if (!c) return layer.alpha === 1 ? product : { shape: product.shape, data: product.data.map((x) => layer.alpha * x) };
    return broadcastReference(product, c, (x, y) => layer.alpha * x + layer.beta * y);
  },
  onnx(ctx, layer, inputs) {
    const plan = planOrThrow(layer, inputs);
    const [a, b, c] = inputs as [(typeof inputs)[0], (typeof inputs)[0], (typeof inputs)[0] | undefined];
    const { graph } = ctx;
    if (inputs.every((x) => x.layout === 'shared')) {
      const attributes = {
        ...(layer.alpha !== 1 ? { alpha: { kind: 'float' as const, value: layer.alpha } } : {}),
        ...(layer.beta !== 1 ? { beta: { kind: 'float' as const, value: layer.beta } } : {}),
        ...(layer.transA ? { transA: { kind: 'int' as const, value: 1 } } : {}),
        ...(layer.transB ? { transB: { kind: 'int' as const, value: 1 } } : {}),
      };
      const name = graph.node(
        'Gemm',
        inputs.map((x) => x.name),
        attributes,
      );
      return { name, layout: 'shared', shape: plan.shape, dtype: 'float32' };
    }
    const swapped = (x: typeof a, swap: boolean) =>
      swap ? graph.node('Transpose', [x.name], { perm: { kind: 'ints', value: x.layout === 'members' ? [0, 2, 1] : [1, 0] } }) : x.name;
    let y = graph.node('MatMul', [swapped(a, layer.transA), swapped(b, layer.transB)]);
    if (layer.alpha !== 1) y = graph.node('Mul', [y, graph.constant('gemm_alpha', [], Float32Array.of(layer.alpha))]);
    if (c) {
      const scaled =
        layer.beta !== 1 ? { ...c, name: graph.node('Mul', [c.name, graph.constant('gemm_beta', [], Float32Array.of(layer.beta))]) } : c;
      y = graph.node('Add', [y, padMembersRank(graph, scaled, 2)]);
    }
    return { name: y, layout: 'members', shape: plan.shape, dtype: 'float32' };
  },
  tfjs(ctx, layer, inputs) {
    const plan = planOrThrow(layer, inputs);
    const [a, b, c] = inputs as [(typeof inputs)[0], (typeof inputs)[0], (typeof inputs)[0] | undefined];
    const { tf } = ctx;
    // Operands of rank 2 (shared) and 3 (members): the batched kernel repeats the single shared matrix.
    let y = tf.matMul(a.t, b.t, layer.transA, layer.transB);
    if (layer.alpha !== 1) y = tf.mul(y, tf.scalar(layer.alpha));
    if (c) y = tf.add(y, layer.beta !== 1 ? tf.mul(padTfjsMembersRank(tf, c, 2), tf.scalar(layer.beta)) : padTfjsMembersRank(tf, c, 2));
    const layout = inputs.every((x) => x.layout === 'shared') ? 'shared' : 'members';
    return { t: y, layout, shape: plan.shape, dtype: 'float32' };
  },
});

function transpose2d(x: ReferenceTensor): ReferenceTensor {
  const [rows, columns] = x.shape as [number, number];
  const data = new Float64Array(x.data.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < columns; j++) data[j * rows + i] = x.data[i * columns + j] as number;
  return { shape: [columns, rows], data };
}
