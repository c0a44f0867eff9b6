/**
 * Shapes with a symbolic batch axis, for values of a graph manifest. A graph
 * may move the batch axis (`[S, B, E]`) or fold it into another
 * (`[B*H, S, D]`), so a dimension is either a size or a multiple of the batch
 * size; at most one dimension of a value holds the batch. Engines meet
 * concrete batch sizes only at run time: where a shape must be written down
 * (a `Reshape` target), the batch dimension becomes `-1`.
 */

/** A size, or `{ batch: k }`: k times the batch size. */
export type Dim = number | { readonly batch: number };
export type SymbolicShape = readonly Dim[];

/** The batch axis itself. */
export const BATCH: Dim = { batch: 1 };

export function isBatchDim(dim: Dim): dim is { readonly batch: number } {
  return typeof dim !== 'number';
}

/** The batch-holding axis of a shape, or -1 for a value without one (a parameter, a constant). */
export function batchAxis(shape: SymbolicShape): number {
  return shape.findIndex(isBatchDim);
}

export function sameDim(a: Dim, b: Dim): boolean {
  if (typeof a === 'number' || typeof b === 'number') return a === b;
  return a.batch === b.batch;
}

export function sameSymbolicShape(a: SymbolicShape, b: SymbolicShape): boolean {
  return a.length === b.length && a.every((dim, i) => sameDim(dim, b[i] as Dim));
}

/** `batch`, `4*batch` or `16`, for messages. */
export function formatDim(dim: Dim): string {
  if (typeof dim === 'number') return String(dim);
  return dim.batch === 1 ? 'batch' : `${dim.batch}*batch`;
}

export function formatSymbolicShape(shape: SymbolicShape): string {
  return `[${shape.map(formatDim).join(', ')}]`;
}

/** A per-sample shape (batch axis excluded) as the full shape of a batch-first value. */
export function batchFirst(sample: readonly number[]): SymbolicShape {
  return [BATCH, ...sample];
}

/** Element count: `{ size: 64, batched: true }` is 64 times the batch size. */
export function symbolicSize(shape: SymbolicShape): { readonly size: number; readonly batched: boolean } {
  let size = 1;
  let batched = false;
  for (const dim of shape) {
    if (typeof dim === 'number') size *= dim;
    else {
      size *= dim.batch;
      batched = true;
    }
  }
  return { size, batched };
}

/** The shape at a concrete batch size. */
export function concreteShape(shape: SymbolicShape, batch: number): number[] {
  return shape.map((dim) => (typeof dim === 'number' ? dim : dim.batch * batch));
}

/** The shape with its batch dimension written as `-1`, as a `Reshape` target takes it. */
export function reshapeTarget(shape: SymbolicShape): number[] {
  return shape.map((dim) => (typeof dim === 'number' ? dim : -1));
}

/** An axis counted from the end (`-1`) as its index, or undefined when out of range. */
export function normalizeAxis(axis: number, rank: number): number | undefined {
  const index = axis < 0 ? axis + rank : axis;
  return index >= 0 && index < rank ? index : undefined;
}

/** NumPy (and ONNX) broadcasting of two shapes, or what stops it. */
export function broadcastShapes(a: SymbolicShape, b: SymbolicShape): { shape: SymbolicShape } | { problem: string } {
  const rank = Math.max(a.length, b.length);
  const shape: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x === 1) shape.push(y);
    else if (y === 1 || sameDim(x, y)) shape.push(x);
    else return { problem: `shapes ${formatSymbolicShape(a)} and ${formatSymbolicShape(b)} do not broadcast` };
  }
  if (shape.filter(isBatchDim).length > 1) {
    return { problem: `broadcasting ${formatSymbolicShape(a)} with ${formatSymbolicShape(b)} would give two batch axes` };
  }
  return { shape };
}

/**
 * The output of a reshape to `target` (`-1`: inferred, at most once; `0`:
 * the input's size on that axis), or what stops it. The batch must land on
 * exactly one axis: the `-1` one, or a copied one.
 */
export function resolveReshape(input: SymbolicShape, target: readonly number[]): { shape: SymbolicShape } | { problem: string } {
  const { size, batched } = symbolicSize(input);
  const inferred = target.filter((dim) => dim === -1).length;
  if (inferred > 1) return { problem: `target [${target.join(', ')}] may hold -1 once` };
  const shape: Dim[] = target.map((dim, i) => {
    if (dim === 0) return input[i] ?? Number.NaN;
    return dim;
  });
  if (shape.some((dim) => typeof dim === 'number' && (Number.isNaN(dim) || dim < -1))) {
    return { problem: `reshape target [${target.join(', ')}] does not fit an input of shape ${formatSymbolicShape(input)}` };
  }
  const known = symbolicSize(shape.filter((dim) => dim !== -1));
  const minusOne = shape.indexOf(-1);
  if (minusOne >= 0) {
    const rest = size / known.size;
    if ((known.batched && !batched) || !Number.isInteger(rest) || rest < 1) {
      return { problem: `cannot reshape ${formatSymbolicShape(input)} to [${target.join(', ')}]` };
    }
    shape[minusOne] = batched && !known.batched ? { batch: rest } : rest;
  }
  const result = symbolicSize(shape);
  if (result.size !== size || result.batched !== batched) {
    return {
      problem:
        batched && !result.batched
          ? `target [${target.join(', ')}] has no axis for the batch of ${formatSymbolicShape(input)} (use -1 there)`
          : `cannot reshape ${formatSymbolicShape(input)} to [${target.join(', ')}]`,
    };
  }
  return { shape };
}
