/**
 * `reshape`: ONNX Reshape (allowzero = 0), PyTorch `x.reshape(shape)` /
 * `x.view(shape)`, on one member's tensor, batch axis included. `shape` is
 * the target: `-1` once for the size that makes the element count fit, `0`
 * to copy the input's size on that axis. The batch must land on exactly one
 * axis, the `-1` one or a copied one; it may travel folded with other sizes
 * (`[S, B, E] -> [S, 4*B, E/4]`, as exported attention splits heads) and
 * unfold again later.
 *
 * Vectorization: the target is written out from the resolved output shape,
 * the batch dimension as `-1` and every other size explicit; a members value
 * gets `N` in front of it (`[N, ...target]`), a shared value keeps it as is
 * and stays shared.
 */
import { z } from 'zod';
import { reshapeTarget, resolveReshape, type SymbolicShape } from '../tensor/symbolic-shape.js';
import { defineTensorOp, passed } from './tensor-op.js';

export const reshapeLayer = z
  .object({
    op: z.literal('reshape'),
    /** The target: sizes, `-1` once (inferred), `0` (the input's size on that axis). */
    shape: z.array(z.number().int().min(-1)).max(8),
  })
  .strict();
export type ReshapeLayer = z.infer<typeof reshapeLayer>;

function outputShape(layer: ReshapeLayer, input: SymbolicShape): SymbolicShape {
  return passed('reshape', resolveReshape(input, layer.shape)).shape;
}

/** The explicit target of the emitted reshape: allowzero when it holds a real zero size (never beside -1). */
function emittedTarget(shape: SymbolicShape, members: number | undefined): { target: number[]; allowzero: boolean } {
  const target = [...(members === undefined ? [] : [members]), ...reshapeTarget(shape)];
  return { target, allowzero: target.includes(0) && !target.includes(-1) };
}

export const reshape = defineTensorOp<ReshapeLayer>({
  op: 'reshape',
  schema: reshapeLayer,
  arity: [1, 1],
  inferValue(layer, [x]) {
    if (!x) return { problems: ['takes one input'] };
    const result = resolveReshape(x.shape, layer.shape);
    return 'problem' in result ? { problems: [result.problem] } : { value: { shape: result.shape, dtype: x.dtype } };
  },
  reference(layer, [x]) {
    if (!x) throw new Error('reshape takes one input');
    return { shape: outputShape(layer, x.shape) as number[], data: x.data };
  },
  onnx(ctx, layer, [x]) {
    if (!x) throw new Error('reshape takes one input');
    const shape = outputShape(layer, x.shape);
    const { target, allowzero } = emittedTarget(shape, x.layout === 'members' ? ctx.members : undefined);
    const name = ctx.graph.node(
      'Reshape',
      [x.name, ctx.graph.int64s('reshape_target', target)],
      allowzero ? { allowzero: { kind: 'int', value: 1 } } : undefined,
    );
    return { name, layout: x.layout, shape, dtype: x.dtype };
  },
  tfjs(ctx, layer, [x]) {
    if (!x) throw new Error('reshape takes one input');
    const shape = outputShape(layer, x.shape);
    const target = [...(x.layout === 'members' ? [x.t.shape[0] as number] : []), ...reshapeTarget(shape)];
    return { t: ctx.tf.reshape(x.t, target), layout: x.layout, shape, dtype: x.dtype };
  },
});
