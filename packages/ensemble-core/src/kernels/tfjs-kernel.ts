/**
 * How a value of the TensorFlow.js forward pass holds the N members, and
 * what an op's TensorFlow.js form gets to work with. Tensors keep PyTorch's
 * layout (NCHW); convolutions and pooling transpose to NHWC around the op.
 *
 * - `shared`: `[B, ...sample]`, no member axis yet (shared-input mode).
 * - `members`: `[N, B, ...sample]`.
 */
import type * as tfjs from '@tensorflow/tfjs-core';
import type { SymbolicShape } from '../tensor/symbolic-shape.js';
import type { ValueDtype } from '../tensor/value-info.js';

export type Tf = typeof tfjs;

export interface TfjsValue {
  readonly t: tfjs.Tensor;
  readonly layout: 'shared' | 'members';
  /** Per-sample shape of one member (batch and member axes excluded). */
  readonly sample: readonly number[];
}

export interface TfjsLayerContext {
  readonly tf: Tf;
  readonly members: number;
  /**
   * True where the backend's batched and wide kernels are fast (native
   * TensorFlow). False on wasm and cpu, where N two-dimensional products and
   * N small convolutions beat one batched or wide kernel: there each member's
   * product runs as its own kernel call inside the same pass.
   */
  readonly batchedKernels: boolean;
  /** The members of a `[N, ...]` tensor as N tensors, by the fastest means the backend has. */
  split(x: tfjs.Tensor): tfjs.Tensor[];
  /** Stacked parameter `<layer>.<suffix>`, `[N, ...perMemberShape]`. */
  parameter(suffix: string): tfjs.Tensor;
  /** A tensor derived from the parameters once, at the first pass, and kept (e.g. transposed weights). */
  constant(key: string, build: () => tfjs.Tensor): tfjs.Tensor;
  /** Records where this layer departs from one vectorized op (reported by the bench). */
  note(message: string): void;
  toMembers(x: TfjsValue): TfjsValue;
}

export function toMembersValue(tf: Tf, members: number, x: TfjsValue): TfjsValue {
  if (x.layout === 'members') return x;
  return { t: tf.broadcastTo(tf.expandDims(x.t, 0), [members, ...x.t.shape]), layout: 'members', sample: x.sample };
}

/** NCHW → NHWC, the layout TensorFlow.js convolutions and pooling take. */
export function channelsLast(tf: Tf, x: tfjs.Tensor): tfjs.Tensor4D {
  return tf.transpose(x as tfjs.Tensor4D, [0, 2, 3, 1]);
}

/** NHWC → NCHW. */
export function channelsFirst(tf: Tf, x: tfjs.Tensor): tfjs.Tensor4D {
  return tf.transpose(x as tfjs.Tensor4D, [0, 3, 1, 2]);
}

/**
 * A rank-1 copy of a (bias) tensor. The wasm backend's fused kernels check the
 * rank the data was created with, which a reshape or slice view keeps.
 */
export function rank1(tf: Tf, x: tfjs.Tensor): tfjs.Tensor1D {
  return tf.tensor1d(x.dataSync() as Float32Array);
}

/**
 * A value of a graph manifest in the TensorFlow.js pass (what tensor ops take
 * and make): `shared` `[...shape]` or `members` `[N, ...shape]`, as in the
 * ONNX form (`GraphValue`). `int64` values are int32 tensors here.
 */
export interface TfjsGraphValue {
  readonly t: tfjs.Tensor;
  readonly layout: 'shared' | 'members';
  readonly shape: SymbolicShape;
  readonly dtype: ValueDtype;
}

/** What a tensor op's TensorFlow.js form gets to work with. */
export interface TfjsTensorContext {
  readonly tf: Tf;
  readonly members: number;
  /** A stacked parameter by its full name, `[N, ...perMemberShape]`. */
  parameter(name: string): tfjs.Tensor;
  /** A tensor derived once, at the first pass, and kept. */
  constant(key: string, build: () => tfjs.Tensor): tfjs.Tensor;
  /** Records where this op departs from one vectorized op (reported by the bench). */
  note(message: string): void;
}

/** A shared value broadcast to every member: `[N, ...shape]`. */
export function tfjsGraphValueToMembers(tf: Tf, members: number, x: TfjsGraphValue): TfjsGraphValue {
  if (x.layout === 'members') return x;
  return { ...x, t: tf.broadcastTo(tf.expandDims(x.t, 0), [members, ...x.t.shape]), layout: 'members' };
}

/** A members value padded to `rank` per-member axes by unit axes after the member axis (see `padMembersRank`). */
export function padTfjsMembersRank(tf: Tf, x: TfjsGraphValue, rank: number): tfjs.Tensor {
  if (x.layout === 'shared' || x.shape.length >= rank) return x.t;
  const [n, ...rest] = x.t.shape;
  return tf.reshape(x.t, [n as number, ...new Array<number>(rank - x.shape.length).fill(1), ...rest]);
}
