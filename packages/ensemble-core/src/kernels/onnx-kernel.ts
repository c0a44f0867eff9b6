/**
 * What an op writes its vectorized ONNX form against, below both the ops and
 * the ONNX engine (whose graph builder implements `OnnxGraphWriter`): how a
 * value of the vectorized graph holds the N members, and the moves between
 * those layouts.
 *
 * - `shared`: `[B, ...sample]`, no member axis yet. Shared-input mode starts
 *   here; the first layer with parameters broadcasts it to all members.
 * - `members`: `[N, B, ...sample]`, the layout of the engine's output.
 * - `grouped`: `[B, N*C, H, W]`, members stacked along channels, so that a
 *   convolution runs as one grouped convolution (`group = N`).
 */
import type { SymbolicShape } from '../tensor/symbolic-shape.js';
import type { ValueDtype } from '../tensor/value-info.js';

/** An attribute of an ONNX node, as plain data. */
export type OnnxAttribute =
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'ints'; readonly value: readonly number[] }
  | { readonly kind: 'float'; readonly value: number };

/** What an op adds to the graph with: each call returns the name of the value it made. */
export interface OnnxGraphWriter {
  /** A float32 initializer. */
  constant(hint: string, dims: readonly number[], data: Float32Array): string;
  /** A 1-D int64 initializer (a shape, axes). */
  int64s(hint: string, values: readonly number[]): string;
  /** An int64 initializer of any shape (`[]` for a scalar): gather indices, token ids. */
  int64Tensor(hint: string, dims: readonly number[], values: readonly number[]): string;
  /** A node with one output. */
  node(opType: string, inputs: readonly string[], attributes?: Record<string, OnnxAttribute>): string;
}

export type VectorLayout = 'shared' | 'members' | 'grouped';

export interface VectorValue {
  readonly name: string;
  readonly layout: VectorLayout;
  /** Per-sample shape of one member (batch and member axes excluded). */
  readonly sample: readonly number[];
}

/** Batch sizes from `min` to `max`, both included (`max` may be `Infinity`). */
export interface BatchRange {
  readonly min: number;
  readonly max: number;
}

/** What an op's vectorized form gets to work with. */
export interface OnnxLayerContext {
  readonly members: number;
  readonly graph: OnnxGraphWriter;
  /**
   * Whether the passes this graph is built for have a batch size in `range`,
   * for a layer whose fastest form depends on the batch. The graph is built
   * before the batch is known: the engine builds one graph per set of answers
   * its layers gave and runs each pass on the graph whose answers hold for its
   * batch. A graph no layer asked about serves every batch, so ask only where
   * the form differs.
   */
  batchIn(range: BatchRange): boolean;
  /** Stacked float32 parameter `<layer>.<suffix>`, `[N, ...perMemberShape]`. */
  parameter(suffix: string): Float32Array;
  toMembers(x: VectorValue): VectorValue;
  toGrouped(x: VectorValue): VectorValue;
}

export function toMembersLayout(graph: OnnxGraphWriter, members: number, x: VectorValue): VectorValue {
  switch (x.layout) {
    case 'members':
      return x;
    case 'shared': {
      const target = graph.int64s('members_shape', [members, ...x.sample.map(() => 1), 1]);
      return { name: graph.node('Expand', [x.name, target]), layout: 'members', sample: x.sample };
    }
    case 'grouped': {
      const [channels, ...spatial] = groupedSample(x);
      const split = graph.int64s('split_members', [0, members, channels, ...spatial]);
      const reshaped = graph.node('Reshape', [x.name, split]);
      const perm = [1, 0, ...x.sample.map((_, i) => i + 2)];
      return { name: graph.node('Transpose', [reshaped], { perm: { kind: 'ints', value: perm } }), layout: 'members', sample: x.sample };
    }
  }
}

export function toGroupedLayout(graph: OnnxGraphWriter, members: number, x: VectorValue): VectorValue {
  if (x.layout === 'grouped') return x;
  const [channels, ...spatial] = groupedSample(x);
  const inMembers = toMembersLayout(graph, members, x);
  const perm = [1, 0, ...x.sample.map((_, i) => i + 2)];
  const batchFirst = graph.node('Transpose', [inMembers.name], { perm: { kind: 'ints', value: perm } });
  const merged = graph.int64s('merge_members', [0, members * channels, ...spatial]);
  return { name: graph.node('Reshape', [batchFirst, merged]), layout: 'grouped', sample: x.sample };
}

function groupedSample(x: VectorValue): readonly [number, ...number[]] {
  const [channels, ...spatial] = x.sample;
  if (channels === undefined || spatial.length === 0) {
    throw new Error(`the grouped layout needs a [C, ...spatial] sample, got [${x.sample.join(', ')}]`);
  }
  return [channels, ...spatial];
}

/**
 * A value of a graph manifest in the vectorized graph (what tensor ops take
 * and make): `shared` holds the per-member tensor once, `[...shape]` (the
 * input in shared mode, constants, and what is computed from them alone);
 * `members` holds all N, `[N, ...shape]`. `shape` is one member's, with its
 * symbolic batch.
 */
export interface GraphValue {
  readonly name: string;
  readonly layout: 'shared' | 'members';
  readonly shape: SymbolicShape;
  readonly dtype: ValueDtype;
}

/** What a tensor op's vectorized form gets to work with. */
export interface OnnxTensorContext {
  readonly members: number;
  readonly graph: OnnxGraphWriter;
  /** A stacked float32 parameter by its full name, `[N, ...perMemberShape]`. */
  parameter(name: string): Float32Array;
}

/** A shared value broadcast to every member: `[N, ...shape]`. */
export function graphValueToMembers(graph: OnnxGraphWriter, members: number, x: GraphValue): GraphValue {
  if (x.layout === 'members') return x;
  const target = graph.int64s('members_shape', [members, ...x.shape.map(() => 1)]);
  return { ...x, name: graph.node('Expand', [x.name, target]), layout: 'members' };
}

/**
 * A members value padded to `rank` per-member axes by unit axes right after
 * the member axis, so that it broadcasts member against member with a value
 * of that rank (NumPy broadcasting aligns trailing axes, and would otherwise
 * set the member axis against a per-member one). Shared values need nothing:
 * their leading axes broadcast on their own.
 */
export function padMembersRank(graph: OnnxGraphWriter, x: GraphValue, rank: number): string {
  if (x.layout === 'shared' || x.shape.length >= rank) return x.name;
  const axes = Array.from({ length: rank - x.shape.length }, (_, i) => i + 1);
  return graph.node('Unsqueeze', [x.name, graph.int64s('pad_axes', axes)]);
}
