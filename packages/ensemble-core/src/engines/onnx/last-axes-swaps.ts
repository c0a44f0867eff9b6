/**
 * Exported attention transposes its keys between two reshapes of the leading
 * axes: `[B, H, S, D] -> reshape [B*H, S, D] -> transpose [0, 2, 1] ->
 * reshape [B, H, D, S]`. With the batch symbolic (`-1` in the reshape
 * targets) ONNX Runtime cannot tell that the reshapes leave the last two axes
 * alone, so it runs the transpose as a copy (1 ms a layer in the transformer
 * bench's vectorized pass, on one thread) instead of folding it into the
 * matrix product that follows as `transB`. The ONNX graph writes such a chain
 * as one transpose of the last two axes of the first reshape's input.
 */
import type { EnsembleArchitecture } from '../../manifest/parse-manifest.js';
import { batchFirst, type SymbolicShape, sameSymbolicShape } from '../../tensor/symbolic-shape.js';

export interface LastAxesSwaps {
  /** The id of each chain's last reshape, to the id of the value whose last two axes it swaps. */
  readonly sources: ReadonlyMap<string, string>;
  /** The chains' other layers, which the graph leaves out. */
  readonly folded: ReadonlySet<string>;
}

/** The permutation that swaps the last two of `rank` axes. */
export function lastTwoSwap(rank: number): number[] {
  return Array.from({ length: rank }, (_, i) => (i < rank - 2 ? i : 2 * rank - 3 - i));
}

const lastTwo = (shape: SymbolicShape): SymbolicShape => shape.slice(-2);
const swapLastTwo = (shape: SymbolicShape): SymbolicShape => [...shape.slice(0, -2), ...lastTwo(shape).toReversed()];

/** The chains of `architecture` that are a swap of the last two axes (each intermediate read once). */
export function lastAxesSwaps(architecture: EnsembleArchitecture): LastAxesSwaps {
  const byId = new Map(architecture.layers.map((layer) => [layer.id, layer]));
  const reads = new Map<string, number>([[architecture.output, 1]]);
  for (const { inputs } of architecture.layers) for (const id of inputs) reads.set(id, (reads.get(id) ?? 0) + 1);
  const sources = new Map<string, string>();
  const folded = new Set<string>();
  for (const last of architecture.layers) {
    const swap = byId.get(last.inputs[0] ?? '');
    const first = byId.get(swap?.inputs[0] ?? '');
    const source = first?.inputs[0];
    if (last.layer.op !== 'reshape' || swap?.layer.op !== 'transpose' || first?.layer.op !== 'reshape' || source === undefined) continue;
    if (reads.get(swap.id) !== 1 || reads.get(first.id) !== 1) continue;
    const sourceShape = source === 'input' ? batchFirst(architecture.manifest.input.shape) : byId.get(source)?.value.shape;
    const rank = first.value.shape.length;
    const perm = (swap.layer.perm ?? Array.from({ length: rank }, (_, i) => rank - 1 - i)).map((axis) => (axis < 0 ? axis + rank : axis));
    if (
      sourceShape &&
      sourceShape.length >= 2 &&
      rank >= 2 &&
      perm.join() === lastTwoSwap(rank).join() &&
      sameSymbolicShape(lastTwo(first.value.shape), lastTwo(sourceShape)) &&
      sameSymbolicShape(last.value.shape, swapLastTwo(sourceShape))
    ) {
      sources.set(last.id, source);
      folded.add(first.id).add(swap.id);
    }
  }
  return { sources, folded };
}
