/**
 * Exported graphs move data in chains of small steps that ONNX Runtime
 * cannot see through once the batch is symbolic (`-1` in reshape targets),
 * so each step is a copy of the whole tensor, on one thread. The ONNX graph
 * writes two such chains of the transformer's attention as one step:
 *
 * - Keys transposed between two reshapes of the leading axes,
 *   `[B, H, S, D] -> [B*H, S, D] -> [B*H, D, S] -> [B, H, D, S]`: one
 *   transpose of the last two axes, which ONNX Runtime then folds into the
 *   scores' product (`transB`): no copy at all.
 * - q, k and v picked out of the packed projection through
 *   `unsqueeze -> transpose -> squeeze` and a scalar gather each: one gather
 *   each on the source's axis, without the transpose of the whole projection.
 *
 * In the transformer bench's vectorized pass the keys' copy took about 1 ms
 * a layer and the projection's transpose 0.65 ms.
 */
import type { ArchitectureLayer, EnsembleArchitecture } from '../../manifest/parse-manifest.js';
import { squeezeAxes, squeezedShape, unsqueezeAxes, unsqueezedShape } from '../../ops/squeeze.js';
import { transposePerm } from '../../ops/transpose.js';
import { batchFirst, normalizeAxis, type SymbolicShape, sameSymbolicShape } from '../../tensor/symbolic-shape.js';

/** A value the graph computes from `source` in one step instead of the chain the manifest wrote. */
export type FoldedMove =
  | { readonly op: 'transpose'; readonly source: string; readonly perm: readonly number[] }
  | { readonly op: 'gather'; readonly source: string; readonly indices: string; readonly axis: number };

export interface DataMoveFolds {
  /** By the id of the chain's last value. */
  readonly moves: ReadonlyMap<string, FoldedMove>;
  /** The chains' other layers, which the graph leaves out. */
  readonly skipped: ReadonlySet<string>;
}

/** The permutation that swaps the last two of `rank` axes. */
function lastTwoSwap(rank: number): number[] {
  return Array.from({ length: rank }, (_, i) => (i < rank - 2 ? i : 2 * rank - 3 - i));
}

export function foldDataMoves(architecture: EnsembleArchitecture): DataMoveFolds {
  const graph = new ValueGraph(architecture);
  const moves = new Map<string, FoldedMove>();
  const skipped = new Set<string>();
  for (const layer of architecture.layers) {
    const swap = keysSwap(graph, layer);
    if (swap) {
      moves.set(layer.id, swap.move);
      for (const id of swap.skipped) skipped.add(id);
    }
  }
  for (const layer of architecture.layers) {
    const picks = projectionPicks(graph, layer);
    if (!picks) continue;
    for (const [id, move] of picks.moves) moves.set(id, move);
    for (const id of picks.skipped) skipped.add(id);
  }
  return { moves, skipped };
}

/** Layers by the id of their value, each value's readers, and shapes (the input's too). */
class ValueGraph {
  private readonly byId: ReadonlyMap<string, ArchitectureLayer>;
  private readonly readersOf = new Map<string, ArchitectureLayer[]>();
  private readonly output: string;
  private readonly inputShape: SymbolicShape;

  constructor(architecture: EnsembleArchitecture) {
    this.byId = new Map(architecture.layers.map((layer) => [layer.id, layer]));
    for (const layer of architecture.layers) {
      for (const id of layer.inputs) this.readersOf.set(id, [...(this.readersOf.get(id) ?? []), layer]);
    }
    this.output = architecture.output;
    this.inputShape = batchFirst(architecture.manifest.input.shape);
  }

  layer(id: string | undefined): ArchitectureLayer | undefined {
    return id === undefined ? undefined : this.byId.get(id);
  }

  readers(id: string): readonly ArchitectureLayer[] {
    return this.readersOf.get(id) ?? [];
  }

  /** Whether only `reader` reads `id` (and it is not the graph's output). */
  readOnlyBy(id: string, reader: ArchitectureLayer): boolean {
    const readers = this.readers(id);
    return id !== this.output && readers.length === 1 && readers[0] === reader && reader.inputs.filter((i) => i === id).length === 1;
  }

  shape(id: string): SymbolicShape | undefined {
    return id === 'input' ? this.inputShape : this.byId.get(id)?.value.shape;
  }
}

const lastTwo = (shape: SymbolicShape): SymbolicShape => shape.slice(-2);
const swapLastTwo = (shape: SymbolicShape): SymbolicShape => [...shape.slice(0, -2), ...lastTwo(shape).toReversed()];

/** `last` = reshape(transpose(reshape(source))) that swaps the last two axes of `source`. */
function keysSwap(graph: ValueGraph, last: ArchitectureLayer): { move: FoldedMove; skipped: string[] } | undefined {
  const swap = graph.layer(last.inputs[0]);
  const first = graph.layer(swap?.inputs[0]);
  const source = first?.inputs[0];
  if (last.layer.op !== 'reshape' || swap?.layer.op !== 'transpose' || first?.layer.op !== 'reshape' || source === undefined) return;
  if (!graph.readOnlyBy(swap.id, last) || !graph.readOnlyBy(first.id, swap)) return;
  const sourceShape = graph.shape(source);
  const rank = first.value.shape.length;
  if (
    sourceShape &&
    sourceShape.length >= 2 &&
    rank >= 2 &&
    transposePerm(swap.layer, first.value.shape).join() === lastTwoSwap(rank).join() &&
    sameSymbolicShape(lastTwo(first.value.shape), lastTwo(sourceShape)) &&
    sameSymbolicShape(last.value.shape, swapLastTwo(sourceShape))
  ) {
    return { move: { op: 'transpose', source, perm: lastTwoSwap(sourceShape.length) }, skipped: [first.id, swap.id] };
  }
}

/**
 * The gathers of scalar indices that read `end`, the last of a chain of
 * unsqueezes, transposes and squeezes, each a gather on the chain's source
 * when what is left of the other axes is in the source's order.
 */
function projectionPicks(graph: ValueGraph, end: ArchitectureLayer): { moves: Map<string, FoldedMove>; skipped: string[] } | undefined {
  // The chain back from `end`, each step read only by the next.
  const chain: ArchitectureLayer[] = [];
  for (let step: ArchitectureLayer | undefined = end; step && isAxisMove(step); step = graph.layer(step.inputs[0])) {
    if (chain.length > 0 && !graph.readOnlyBy(step.id, chain[0] as ArchitectureLayer)) break;
    chain.unshift(step);
  }
  const source = chain[0]?.inputs[0];
  const sourceShape = source === undefined ? undefined : graph.shape(source);
  const readers = graph.readers(end.id);
  if (!sourceShape || readers.length === 0) return;
  // Which source axis each axis of `end` is (-1: a unit axis the chain added).
  let axes = sourceShape.map((_, axis) => axis);
  let shape: SymbolicShape = sourceShape;
  for (const step of chain) {
    const next = moveAxes(step, axes, shape);
    if (!next) return;
    axes = next;
    shape = step.value.shape;
  }
  const moves = new Map<string, FoldedMove>();
  for (const gather of readers) {
    const indices = gather.inputs[1];
    const indicesShape = indices === undefined ? undefined : graph.shape(indices);
    if (gather.layer.op !== 'gather' || gather.inputs[0] !== end.id || indices === undefined || indicesShape?.length !== 0) return;
    const axis = normalizeAxis(gather.layer.axis, axes.length);
    const picked = axis === undefined ? -1 : (axes[axis] as number);
    if (picked < 0) return;
    const rest = axes.filter((_, i) => i !== axis);
    const inOrder = rest.length === sourceShape.length - 1 && rest.every((a, i) => a === (i < picked ? i : i + 1));
    if (!inOrder || !sameSymbolicShape(gather.value.shape, sourceShape.toSpliced(picked, 1))) return;
    moves.set(gather.id, { op: 'gather', source: source as string, indices, axis: picked });
  }
  return { moves, skipped: chain.map((step) => step.id) };
}

function isAxisMove(layer: ArchitectureLayer): boolean {
  return layer.layer.op === 'unsqueeze' || layer.layer.op === 'squeeze' || layer.layer.op === 'transpose';
}

/** The source axes of `step`'s output axes, given those of its input (of `shape`); undefined where it cannot tell. */
function moveAxes(step: ArchitectureLayer, axes: readonly number[], shape: SymbolicShape): number[] | undefined {
  const { layer } = step;
  switch (layer.op) {
    case 'transpose':
      return transposePerm(layer, shape).map((axis) => axes[axis] as number);
    case 'squeeze': {
      const dropped = squeezeAxes(layer, shape);
      // Only unit axes the chain added; a squeezed source axis would be a reshape of the source.
      return dropped.every((axis) => axes[axis] === -1) ? squeezedShape(axes, dropped) : undefined;
    }
    case 'unsqueeze':
      return unsqueezedShape(axes, unsqueezeAxes(layer, shape), -1);
    default:
      return undefined;
  }
}
