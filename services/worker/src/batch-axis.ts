/**
 * Joining inputs and splitting outputs along the batch axis: axis 0 of a
 * shared input `[B, ...]`, axis 1 of a per-member input `[N, B, ...]` and of
 * member outputs `[N, B, ...]`.
 */
import type { InputMode, Tensor } from '@ensembles/core';

export function concatBatch(inputs: readonly Tensor[], mode: InputMode): Tensor {
  const [first] = inputs;
  if (!first) throw new RangeError('nothing to concatenate');
  if (inputs.length === 1) return first;
  const axis = mode === 'shared' ? 0 : 1;
  return concatAxis(inputs, axis);
}

/** Splits `[N, ΣB, ...]` into `[N, B_i, ...]` for each `B_i` in `rows`. */
export function splitBatch(members: Tensor, rows: readonly number[]): Tensor[] {
  if (rows.length === 1) return [members];
  const [n, total, ...rest] = members.shape as [number, number, ...number[]];
  const rowSize = rest.reduce((a, b) => a * b, 1);
  const outputs = rows.map((b) => ({ shape: [n, b, ...rest], data: new Float32Array(n * b * rowSize) }));
  for (let m = 0; m < n; m++) {
    let offset = 0;
    for (const [i, b] of rows.entries()) {
      const source = members.data.subarray((m * total + offset) * rowSize, (m * total + offset + b) * rowSize);
      (outputs[i] as Tensor).data.set(source, m * b * rowSize);
      offset += b;
    }
  }
  return outputs;
}

function concatAxis(inputs: readonly Tensor[], axis: 0 | 1): Tensor {
  const first = inputs[0] as Tensor;
  const outer = first.shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = first.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const total = inputs.reduce((sum, t) => sum + (t.shape[axis] as number), 0);
  const data = new Float32Array(outer * total * inner);
  let offset = 0;
  for (const t of inputs) {
    const rows = t.shape[axis] as number;
    for (let o = 0; o < outer; o++) {
      data.set(t.data.subarray(o * rows * inner, (o + 1) * rows * inner), (o * total + offset) * inner);
    }
    offset += rows;
  }
  const shape = [...first.shape];
  shape[axis] = total;
  return { shape, data };
}
