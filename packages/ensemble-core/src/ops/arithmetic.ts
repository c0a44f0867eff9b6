/**
 * `add`, `sub`, `mul`, `div`, `pow`: elementwise arithmetic between two
 * values with NumPy broadcasting (PyTorch's `+ - * / **`, ONNX's Add, Sub,
 * Mul, Div, Pow): residual additions, a per-member parameter added to
 * activations, a scale.
 *
 * Vectorization: two shared values give a shared result; otherwise each
 * members value is padded with unit axes after its member axis to the
 * result's rank, so members meet members, and a shared value broadcasts over
 * the member axis by itself.
 */
import { z } from 'zod';
import { padMembersRank } from '../kernels/onnx-kernel.js';
import { padTfjsMembersRank } from '../kernels/tfjs-kernel.js';
import { broadcastShapes, type SymbolicShape } from '../tensor/symbolic-shape.js';
import type { ReferenceTensor } from './op-definition.js';
import { defineTensorOp, passed, stridesOf, type TensorOpDefinition } from './tensor-op.js';

const arithmeticOps = {
  add: { onnx: 'Add', tfjs: 'add', fn: (a: number, b: number) => a + b },
  sub: { onnx: 'Sub', tfjs: 'sub', fn: (a: number, b: number) => a - b },
  mul: { onnx: 'Mul', tfjs: 'mul', fn: (a: number, b: number) => a * b },
  div: { onnx: 'Div', tfjs: 'div', fn: (a: number, b: number) => a / b },
  pow: { onnx: 'Pow', tfjs: 'pow', fn: (a: number, b: number) => a ** b },
} as const;
type ArithmeticOp = keyof typeof arithmeticOps;

export const addLayer = z.object({ op: z.literal('add') }).strict();
export const subLayer = z.object({ op: z.literal('sub') }).strict();
export const mulLayer = z.object({ op: z.literal('mul') }).strict();
export const divLayer = z.object({ op: z.literal('div') }).strict();
export const powLayer = z.object({ op: z.literal('pow') }).strict();

function defineArithmetic<Op extends ArithmeticOp>(op: Op, schema: z.ZodType<{ op: Op }>): TensorOpDefinition<{ op: Op }> {
  const { onnx: onnxOp, tfjs: tfjsOp, fn } = arithmeticOps[op];
  return defineTensorOp<{ op: Op }>({
    op,
    schema,
    arity: [2, 2],
    elementwise: true,
    inferValue(_layer, [a, b]) {
      if (!a || !b) return { problems: ['takes two inputs'] };
      if (a.dtype !== 'float32' || b.dtype !== 'float32') return { problems: ['takes float32 inputs'] };
      const result = broadcastShapes(a.shape, b.shape);
      return 'problem' in result ? { problems: [result.problem] } : { value: { shape: result.shape, dtype: 'float32' } };
    },
    reference: (_layer, [a, b]) => broadcastReference(a as ReferenceTensor, b as ReferenceTensor, fn),
    onnx(ctx, _layer, [a, b]) {
      if (!a || !b) throw new Error(`${op} takes two inputs`);
      const { shape, rank, layout } = vectorized(op, a, b);
      const name = ctx.graph.node(onnxOp, [padMembersRank(ctx.graph, a, rank), padMembersRank(ctx.graph, b, rank)]);
      return { name, layout, shape, dtype: 'float32' };
    },
    tfjs(ctx, _layer, [a, b]) {
      if (!a || !b) throw new Error(`${op} takes two inputs`);
      const { shape, rank, layout } = vectorized(op, a, b);
      const t = ctx.tf[tfjsOp](padTfjsMembersRank(ctx.tf, a, rank), padTfjsMembersRank(ctx.tf, b, rank));
      return { t, layout, shape, dtype: 'float32' };
    },
  });
}

export const add = defineArithmetic('add', addLayer);
export const sub = defineArithmetic('sub', subLayer);
export const mul = defineArithmetic('mul', mulLayer);
export const div = defineArithmetic('div', divLayer);
export const pow = defineArithmetic('pow', powLayer);

/** The result's shape and rank, and its layout: shared only when both inputs are. */
function vectorized(
  op: string,
  a: { readonly shape: SymbolicShape; readonly layout: string },
  b: { readonly shape: SymbolicShape; readonly layout: string },
): { shape: SymbolicShape; rank: number; layout: 'shared' | 'members' } {
  const { shape } = passed(op, broadcastShapes(a.shape, b.shape));
  return { shape, rank: shape.length, layout: a.layout === 'shared' && b.layout === 'shared' ? 'shared' : 'members' };
}

/** Elementwise `fn` over two concrete tensors with NumPy broadcasting. */
export function broadcastReference(a: ReferenceTensor, b: ReferenceTensor, fn: (x: number, y: number) => number): ReferenceTensor {
  const rank = Math.max(a.shape.length, b.shape.length);
  const padded = (shape: readonly number[]) => [...new Array<number>(rank - shape.length).fill(1), ...shape];
  const sa = padded(a.shape);
  const sb = padded(b.shape);
  const shape = sa.map((dim, i) => (dim === 1 ? (sb[i] as number) : dim));
  const stridesA = stridesOf(sa).map((stride, i) => (sa[i] === 1 ? 0 : stride));
  const stridesB = stridesOf(sb).map((stride, i) => (sb[i] === 1 ? 0 : stride));
  const strides = stridesOf(shape);
  const size = shape.reduce((x, y) => x * y, 1);
  const data = new Float64Array(size);
  for (let flat = 0; flat < size; flat++) {
    let ia = 0;
    let ib = 0;
    let rest = flat;
    for (let axis = 0; axis < rank; axis++) {
      const index = Math.floor(rest / (strides[axis] as number));
      rest -= index * (strides[axis] as number);
      ia += index * (stridesA[axis] as number);
      ib += index * (stridesB[axis] as number);
    }
    data[flat] = fn(a.data[ia] as number, b.data[ib] as number);
  }
  return { shape, data };
}
