/**
 * `matmul`: ONNX MatMul, PyTorch's `torch.matmul` / `a @ b`. Inputs `[a, b]`,
 * float32. The last two axes multiply as matrices (`[..., M, K] @ [..., K, N]`)
 * and the leading axes broadcast as NumPy's do; a 1-D `a` is a row `[1, K]`
 * and a 1-D `b` a column `[K, 1]`, the added axis dropped from the result.
 * Attention (`q @ kᵀ`, `weights @ v`: activations against activations) and
 * exported Linear layers (`x @ W`, W a `parameter`) are its main uses. The
 * batch axis may sit on any axis but the summed one: each sample stays apart.
 *
 * Vectorization: two shared values give a shared MatMul. Otherwise each
 * members value is padded with unit axes after its member axis to the
 * product's rank (`padMembersRank`), so that member meets member while a
 * shared value broadcasts over the member axis by itself: a per-member
 * weight `[K, N]` against `[B, S, K]` would otherwise set its member axis
 * against the batch. Where a members right operand is one matrix per member
 * (`[N, K, N']`), the left operand's leading axes fold into its rows first
 * (`[B, S, K]` -> `[B*S, K]`, `[N, B, S, K]` -> `[N, B*S, K]`), so the product
 * is N GEMMs rather than N*B small ones, and the result is reshaped back.
 * TensorFlow.js folds the same way, also against a shared matrix (ONNX
 * Runtime does that by itself), and broadcasts leading axes explicitly where
 * its batched kernel would not (it repeats only a single matrix).
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { type GraphValue, padMembersRank } from '../kernels/onnx-kernel.js';
import type { Tf, TfjsGraphValue } from '../kernels/tfjs-kernel.js';
import {
  broadcastShapes,
  concreteShape,
  type Dim,
  formatDim,
  formatSymbolicShape,
  isBatchDim,
  reshapeTarget,
  type SymbolicShape,
  sameDim,
} from '../tensor/symbolic-shape.js';
import { sizeOf } from '../tensor/tensor.js';
import type { ReferenceTensor } from './op-definition.js';
import { defineTensorOp, passed, stridesOf } from './tensor-op.js';

export const matmulLayer = z.object({ op: z.literal('matmul') }).strict();
export type MatmulLayer = z.infer<typeof matmulLayer>;

/** How two per-member shapes multiply. */
export interface MatmulPlan {
  /** The operands as matrices, 1-D ones promoted: `[..., M, K]` and `[..., K, N]`. */
  readonly a: SymbolicShape;
  readonly b: SymbolicShape;
  /** The summed dimension K. */
  readonly inner: number;
  /** The product of the promoted operands, `[...leading, M, N]`. */
  readonly product: SymbolicShape;
  /** Axes of `product` that promotion added and the result drops (`-2`: a's row, `-1`: b's column). */
  readonly dropped: readonly number[];
  /** The result's per-member shape. */
  readonly shape: SymbolicShape;
}

/** The shape rule of ONNX MatMul on symbolic shapes, or what stops it. */
export function planMatmul(a: SymbolicShape, b: SymbolicShape): MatmulPlan | { problem: string } {
  const shapes = `${formatSymbolicShape(a)} and ${formatSymbolicShape(b)}`;
  if (a.length === 0 || b.length === 0) return { problem: `multiplies tensors of rank 1 or more, got ${shapes}` };
  const pa: Dim[] = a.length === 1 ? [1, a[0] as Dim] : [...a];
  const pb: Dim[] = b.length === 1 ? [b[0] as Dim, 1] : [...b];
  const k = pa.at(-1) as Dim;
  const kb = pb.at(-2) as Dim;
  if (!sameDim(k, kb)) {
    return { problem: `shapes ${shapes} do not multiply: inner dimensions ${formatDim(k)} and ${formatDim(kb)} differ` };
  }
  if (isBatchDim(k)) return { problem: `of ${shapes} would sum over the batch axis; each sample must stay apart` };
  const leading = broadcastShapes(pa.slice(0, -2), pb.slice(0, -2));
  if ('problem' in leading) {
    if (leading.problem.includes('two batch axes')) return { problem: `of ${shapes} would give two batch axes` };
    return {
      problem: `shapes ${shapes} do not multiply: leading axes ${formatSymbolicShape(pa.slice(0, -2))} and ${formatSymbolicShape(pb.slice(0, -2))} do not broadcast`,
    };
  }
  const product: Dim[] = [...leading.shape, pa.at(-2) as Dim, pb.at(-1) as Dim];
  const dropped = [...(a.length === 1 ? [-2] : []), ...(b.length === 1 ? [-1] : [])];
  const shape = product.filter((_, i) => !dropped.includes(i - product.length));
  if (shape.filter(isBatchDim).length > 1) return { problem: `of ${shapes} would give two batch axes, ${formatSymbolicShape(shape)}` };
  return { a: pa, b: pb, inner: k, product, dropped, shape };
}

function planOrThrow(a: SymbolicShape, b: SymbolicShape): MatmulPlan {
  return passed('matmul', planMatmul(a, b));
}

export const matmul = defineTensorOp<MatmulLayer>({
  op: 'matmul',
  schema: matmulLayer,
  arity: [2, 2],
  inferValue(_layer, [a, b]) {
    if (!a || !b) return { problems: ['takes two inputs'] };
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return { problems: [`takes float32 inputs, got ${a.dtype} and ${b.dtype}`] };
    const plan = planMatmul(a.shape, b.shape);
    return 'problem' in plan ? { problems: [plan.problem] } : { value: { shape: plan.shape, dtype: 'float32' } };
  },
  multiplyAdds(_layer, [a, b], output) {
    const plan = planMatmul((a as { shape: SymbolicShape }).shape, (b as { shape: SymbolicShape }).shape);
    return 'problem' in plan ? 0 : sizeOf(concreteShape(output.shape, 1)) * plan.inner;
  },
  reference: (_layer, [a, b]) => matmulReference(a as ReferenceTensor, b as ReferenceTensor),
  onnx(ctx, _layer, [a, b]) {
    if (!a || !b) throw new Error('matmul takes two inputs');
    const plan = planOrThrow(a.shape, b.shape);
    const { graph } = ctx;
    // 1-D operands become a row (a) or a column (b), as ONNX promotes them.
    const left: GraphValue =
      a.shape.length === 1
        ? { ...a, name: graph.node('Unsqueeze', [a.name, graph.int64s('row_axis', [a.layout === 'members' ? 1 : 0])]), shape: plan.a }
        : a;
    const right: GraphValue =
      b.shape.length === 1 ? { ...b, name: graph.node('Unsqueeze', [b.name, graph.int64s('column_axis', [-1])]), shape: plan.b } : b;
    const layout = a.layout === 'shared' && b.layout === 'shared' ? 'shared' : 'members';
    let product: string;
    if (right.layout === 'members' && plan.b.length === 2 && plan.a.length > 2) {
      // One matrix per member: fold the left operand's leading axes into its rows, so that the
      // product is N GEMMs [rows, K] x [K, N'] rather than one per leading index.
      const rowsShape = left.layout === 'members' ? [ctx.members, -1, plan.inner] : [-1, plan.inner];
      const rows = graph.node('Reshape', [left.name, graph.int64s('matmul_rows', rowsShape)]);
      const folded = graph.node('MatMul', [rows, right.name]);
      product = graph.node('Reshape', [folded, graph.int64s('matmul_shape', [ctx.members, ...reshapeTarget(plan.product)])]);
    } else {
      const rank = plan.product.length;
      product = graph.node('MatMul', [padMembersRank(graph, left, rank), padMembersRank(graph, right, rank)]);
    }
    const name = plan.dropped.length > 0 ? graph.node('Squeeze', [product, graph.int64s('promoted_axes', plan.dropped)]) : product;
    return { name, layout, shape: plan.shape, dtype: 'float32' };
  },
  tfjs(ctx, _layer, [a, b]) {
    if (!a || !b) throw new Error('matmul takes two inputs');
    const plan = planOrThrow(a.shape, b.shape);
    const { tf } = ctx;
    const promote = (x: TfjsGraphValue, axis: number): Tensor => {
      if (x.shape.length !== 1) return x.t;
      const shape = [...x.t.shape];
      shape.splice(axis < 0 ? shape.length + 1 + axis : axis + (x.layout === 'members' ? 1 : 0), 0, 1);
      return tf.reshape(x.t, shape);
    };
    const left = promote(a, 0);
    const right = promote(b, -1);
    const layout = a.layout === 'shared' && b.layout === 'shared' ? 'shared' : 'members';
    let product: Tensor;
    if (plan.b.length === 2 && plan.a.length > 2) {
      // One matrix (per member, or for all): fold the left operand's leading axes into its rows.
      const shared = a.layout === 'shared';
      const folded =
        b.layout === 'shared'
          ? tf.matMul(tf.reshape(left, [-1, plan.inner]), right)
          : tf.matMul(tf.reshape(left, shared ? [-1, plan.inner] : [ctx.members, -1, plan.inner]), right);
      const lead = b.layout === 'members' && shared ? [ctx.members] : [];
      product = tf.reshape(folded, [...lead, ...left.shape.slice(0, -1), right.shape.at(-1) as number]);
    } else {
      const rank = plan.product.length + (layout === 'members' ? 1 : 0);
      product = broadcastMatMul(
        tf,
        toRank(tf, { ...a, t: left, shape: plan.a }, rank),
        toRank(tf, { ...b, t: right, shape: plan.b }, rank),
      );
    }
    const t =
      plan.dropped.length > 0
        ? tf.squeeze(
            product,
            plan.dropped.map((axis) => product.rank + axis),
          )
        : product;
    return { t, layout, shape: plan.shape, dtype: 'float32' };
  },
});

/**
 * A value as a tensor of `rank` axes, member axis included where it has one:
 * unit axes after the member axis (members) or in front (shared).
 */
function toRank(tf: Tf, x: TfjsGraphValue, rank: number): Tensor {
  const missing = rank - x.t.rank;
  if (missing <= 0) return x.t;
  const ones = new Array<number>(missing).fill(1);
  const [first, ...rest] = x.t.shape;
  return tf.reshape(x.t, x.layout === 'members' ? [first as number, ...ones, ...rest] : [...ones, ...x.t.shape]);
}

/**
 * `tf.matMul` of two tensors of one rank with NumPy broadcasting of their
 * leading axes. TensorFlow.js's batched kernel flattens the leading axes and
 * repeats the smaller side cyclically, right only when one side holds a
 * single matrix or both agree; other cases are broadcast explicitly.
 */
export function broadcastMatMul(tf: Tf, a: Tensor, b: Tensor, transposeA = false, transposeB = false): Tensor {
  const leadA = a.shape.slice(0, -2);
  const leadB = b.shape.slice(0, -2);
  const agree = leadA.length === leadB.length && leadA.every((dim, i) => dim === leadB[i]);
  if (agree || sizeOf(leadA) === 1 || sizeOf(leadB) === 1) return tf.matMul(a, b, transposeA, transposeB);
  const lead = leadA.map((dim, i) => Math.max(dim, leadB[i] as number));
  return tf.matMul(
    tf.broadcastTo(a, [...lead, ...a.shape.slice(-2)]),
    tf.broadcastTo(b, [...lead, ...b.shape.slice(-2)]),
    transposeA,
    transposeB,
  );
}

/** ONNX MatMul on concrete float64 tensors. */
export function matmulReference(a: ReferenceTensor, b: ReferenceTensor): ReferenceTensor {
  const sa = a.shape.length === 1 ? [1, a.shape[0] as number] : [...a.shape];
  const sb = b.shape.length === 1 ? [b.shape[0] as number, 1] : [...b.shape];
  const [m, k] = sa.slice(-2) as [number, number];
  const [kb, n] = sb.slice(-2) as [number, number];
  if (k !== kb) throw new Error(`matmul inner dimensions ${k} and ${kb} differ`);
  const rank = Math.max(sa.length, sb.length) - 2;
  const pad = (shape: number[]) => [...new Array<number>(rank - (shape.length - 2)).fill(1), ...shape.slice(0, -2)];
  const leadA = pad(sa);
  const leadB = pad(sb);
  const lead = leadA.map((dim, i) => (dim === 1 ? (leadB[i] as number) : dim));
  // Matrix strides of each operand's leading axes, zero where it broadcasts.
  const stridesA = stridesOf(leadA).map((stride, i) => (leadA[i] === 1 ? 0 : stride * m * k));
  const stridesB = stridesOf(leadB).map((stride, i) => (leadB[i] === 1 ? 0 : stride * k * n));
  const strides = stridesOf(lead);
  const count = sizeOf(lead);
  const data = new Float64Array(count * m * n);
  for (let index = 0; index < count; index++) {
    let offsetA = 0;
    let offsetB = 0;
    let rest = index;
    for (let axis = 0; axis < rank; axis++) {
      const at = Math.floor(rest / (strides[axis] as number));
      rest -= at * (strides[axis] as number);
      offsetA += at * (stridesA[axis] as number);
      offsetB += at * (stridesB[axis] as number);
    }
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let p = 0; p < k; p++) sum += (a.data[offsetA + i * k + p] as number) * (b.data[offsetB + p * n + j] as number);
        data[index * m * n + i * n + j] = sum;
      }
    }
  }
  const shape = [...lead, ...(a.shape.length === 1 ? [] : [m]), ...(b.shape.length === 1 ? [] : [n])];
  return { shape, data };
}
