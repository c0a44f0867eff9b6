/**
 * `gather`: ONNX Gather, `data` indexed along `axis` (default 0) by int64
 * `indices` of any shape: the result is
 * `data.shape[:axis] + indices.shape + data.shape[axis+1:]`. PyTorch's
 * `nn.Embedding` (a table `[V, D]` indexed by token ids) and `x[:, i]` (a
 * scalar index `[]` drops the axis) export as Gather. Inputs `[data,
 * indices]`; negative indices count from the end, as ONNX says; an index
 * outside `[-size, size - 1]` is an error. The result is float32, or int64
 * where the data is. Gathering along the batch axis is refused: each sample
 * stays apart.
 *
 * Vectorization, by where the member axis is:
 * - shared data and indices: one Gather, shared.
 * - members data, shared indices (an embedding table per member, token ids
 *   for all; a constant index into activations): one Gather along `axis + 1`.
 * - shared data, members indices (one table, per-member ids): one Gather; the
 *   member axis lands where `axis` was and moves to the front.
 * - members data and members indices (per-member ids into per-member tables):
 *   GatherND with `batch_dims = 1` on indices `[N, ...indices, 1]`, which
 *   pairs each member's ids with its own table and, like Gather, refuses an
 *   out-of-range index and takes negative ones; the gathered axis first moves
 *   next to the member axis where it is not already there.
 * TensorFlow.js uses `tf.gather` (int32 indices) the same way, except in the
 * last case: there the table is flattened to `[N*size, ...]` and member m's
 * ids offset by `m*size` (the wasm backend's gather with `batchDims`
 * misplaces rows), after a check that every id is within its member's range.
 * Its kernels take no negative indices, so those are counted from the end
 * first.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { formatSymbolicShape, isBatchDim, normalizeAxis, type SymbolicShape } from '../tensor/symbolic-shape.js';
import { formatShape, sizeOf } from '../tensor/tensor.js';
import type { ValueInfo } from '../tensor/value-info.js';
import type { ReferenceTensor } from './op-definition.js';
import { defineTensorOp, passed } from './tensor-op.js';

export const gatherLayer = z.object({ op: z.literal('gather'), axis: z.number().int().default(0) }).strict();
export type GatherLayer = z.infer<typeof gatherLayer>;

/** The gathered axis and the result's shape, or what is wrong. */
function planGather(layer: GatherLayer, data: ValueInfo, indices: ValueInfo): { axis: number; shape: SymbolicShape } | { problem: string } {
  if (indices.dtype !== 'int64') return { problem: `takes int64 indices, got ${indices.dtype} ${formatSymbolicShape(indices.shape)}` };
  const rank = data.shape.length;
  if (rank === 0) return { problem: 'gathers from data of rank 1 or more, got a scalar' };
  const axis = normalizeAxis(layer.axis, rank);
  if (axis === undefined) {
    return { problem: `axis ${layer.axis} is out of range for data ${formatSymbolicShape(data.shape)} (axes -${rank} to ${rank - 1})` };
  }
  if (isBatchDim(data.shape[axis] as SymbolicShape[number])) {
    return { problem: `axis ${layer.axis} is the batch axis of data ${formatSymbolicShape(data.shape)}; each sample must stay apart` };
  }
  const shape = [...data.shape.slice(0, axis), ...indices.shape, ...data.shape.slice(axis + 1)];
  if (shape.filter(isBatchDim).length > 1) {
    return {
      problem: `of data ${formatSymbolicShape(data.shape)} by indices ${formatSymbolicShape(indices.shape)} would give two batch axes, ${formatSymbolicShape(shape)}`,
    };
  }
  return { axis, shape };
}

function planOrThrow(layer: GatherLayer, data: ValueInfo, indices: ValueInfo): { axis: number; shape: SymbolicShape } {
  return passed('gather', planGather(layer, data, indices));
}

/** `count` consecutive integers from `from`. */
function range(from: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => from + i);
}

export const gather = defineTensorOp<GatherLayer>({
  op: 'gather',
  schema: gatherLayer,
  arity: [2, 2],
  inferValue(layer, [data, indices]) {
    if (!data || !indices) return { problems: ['takes two inputs, data and indices'] };
    const plan = planGather(layer, data, indices);
    return 'problem' in plan ? { problems: [plan.problem] } : { value: { shape: plan.shape, dtype: data.dtype } };
  },
  reference(layer, [data, indices]) {
    const { shape, data: values } = data as ReferenceTensor;
    const ids = (indices as ReferenceTensor).data;
    const axis = normalizeAxis(layer.axis, shape.length) as number;
    const size = shape[axis] as number;
    const outer = sizeOf(shape.slice(0, axis));
    const inner = sizeOf(shape.slice(axis + 1));
    const result = new Float64Array(outer * ids.length * inner);
    for (const id of ids) {
      if (!Number.isInteger(id) || id < -size || id >= size) throw outOfRange(id, size, layer.axis, shape);
    }
    for (let o = 0; o < outer; o++) {
      for (const [j, id] of ids.entries()) {
        const row = id < 0 ? id + size : id;
        const from = (o * size + row) * inner;
        result.set(values.subarray(from, from + inner), (o * ids.length + j) * inner);
      }
    }
    return { shape: [...shape.slice(0, axis), ...(indices as ReferenceTensor).shape, ...shape.slice(axis + 1)], data: result };
  },
  onnx(ctx, layer, [data, indices]) {
    if (!data || !indices) throw new Error('gather takes two inputs, data and indices');
    const { axis, shape } = planOrThrow(layer, data, indices);
    const { graph } = ctx;
    const rank = data.shape.length;
    const q = indices.shape.length;
    const value = { shape, dtype: data.dtype } as const;
    const axisAttribute = (at: number) => ({ axis: { kind: 'int' as const, value: at } });
    if (indices.layout === 'shared') {
      const name = graph.node('Gather', [data.name, indices.name], axisAttribute(data.layout === 'members' ? axis + 1 : axis));
      return { name, layout: data.layout, ...value };
    }
    if (data.layout === 'shared') {
      // The indices' member axis lands at `axis`: [...data[:axis], N, ...q, ...data[axis+1:]].
      const gathered = graph.node('Gather', [data.name, indices.name], axisAttribute(axis));
      if (axis === 0) return { name: gathered, layout: 'members', ...value };
      const perm = [axis, ...range(0, axis), ...range(axis + 1, rank + q - axis - 1)];
      return { name: graph.node('Transpose', [gathered], { perm: { kind: 'ints', value: perm } }), layout: 'members', ...value };
    }
    // Per-member indices into per-member data: the gathered axis next to the member axis, then
    // GatherND pairs member m's indices with member m's data.
    const moved =
      axis === 0
        ? data.name
        : graph.node('Transpose', [data.name], {
            perm: { kind: 'ints', value: [0, axis + 1, ...range(1, axis), ...range(axis + 2, rank - axis - 1)] },
          });
    const tuples = graph.node('Unsqueeze', [indices.name, graph.int64s('index_axis', [-1])]);
    const gathered = graph.node('GatherND', [moved, tuples], { batch_dims: { kind: 'int', value: 1 } });
    if (axis === 0) return { name: gathered, layout: 'members', ...value };
    // [N, ...q, ...data[:axis], ...data[axis+1:]] -> [N, ...data[:axis], ...q, ...data[axis+1:]]
    const perm = [0, ...range(1 + q, axis), ...range(1, q), ...range(1 + q + axis, rank - axis - 1)];
    return { name: graph.node('Transpose', [gathered], { perm: { kind: 'ints', value: perm } }), layout: 'members', ...value };
  },
  tfjs(ctx, layer, [data, indices]) {
    if (!data || !indices) throw new Error('gather takes two inputs, data and indices');
    const { axis, shape } = planOrThrow(layer, data, indices);
    const { tf } = ctx;
    const value = { shape, dtype: data.dtype } as const;
    const at = data.layout === 'members' ? axis + 1 : axis;
    // TensorFlow.js's kernels refuse negative indices: count them from the end first.
    const size = data.t.shape[at] as number;
    const ids: Tensor = tf.where(tf.less(indices.t, tf.scalar(0, 'int32')), tf.add(indices.t, tf.scalar(size, 'int32')), indices.t);
    if (indices.layout === 'shared') return { t: tf.gather(data.t, ids, at), layout: data.layout, ...value };
    if (data.layout === 'shared') {
      const gathered = tf.gather(data.t, ids, axis);
      if (axis === 0) return { t: gathered, layout: 'members', ...value };
      const perm = [axis, ...range(0, axis), ...range(axis + 1, gathered.rank - axis - 1)];
      return { t: tf.transpose(gathered, perm), layout: 'members', ...value };
    }
    // Per-member indices into per-member data: one flattened table [N*size, ...] indexed by
    // ids + m*size (the wasm backend's gather with batchDims misplaces rows). An id out of its
    // member's range would land in another member's rows, so the ids are checked first.
    checkIndices(indices.t, size, layer.axis, data.t.shape.slice(1));
    const rank = data.shape.length;
    const q = indices.shape.length;
    const moved = axis === 0 ? data.t : tf.transpose(data.t, [0, axis + 1, ...range(1, axis), ...range(axis + 2, rank - axis - 1)]);
    const [n, , ...rest] = moved.shape as number[];
    const offsets = tf.reshape(tf.range(0, (n as number) * size, size, 'int32'), [n as number, ...new Array<number>(q).fill(1)]);
    const gathered = tf.gather(tf.reshape(moved, [(n as number) * size, ...rest]), tf.add(ids, offsets), 0);
    if (axis === 0) return { t: gathered, layout: 'members', ...value };
    const perm = [0, ...range(1 + q, axis), ...range(1, q), ...range(1 + q + axis, rank - axis - 1)];
    return { t: tf.transpose(gathered, perm), layout: 'members', ...value };
  },
});

/** Throws where an index lies outside `[-size, size - 1]`, as ONNX Runtime's Gather does. */
function checkIndices(indices: Tensor, size: number, axis: number, dataShape: readonly number[]): void {
  for (const id of indices.dataSync()) {
    if (id < -size || id >= size) throw outOfRange(id, size, axis, dataShape);
  }
}

function outOfRange(id: number, size: number, axis: number, dataShape: readonly number[]): RangeError {
  return new RangeError(
    `gather index ${id} is out of range for axis ${axis} of data ${formatShape(dataShape)}: indices must be integers from ${-size} to ${size - 1}`,
  );
}
