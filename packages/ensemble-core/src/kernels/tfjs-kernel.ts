/**
 * How a value of the TensorFlow.js forward pass holds the N members, and
 * what an op's TensorFlow.js form gets to work with. Tensors keep PyTorch's
 * layout (NCHW); convolutions and pooling transpose to NHWC around the op.
 *
 * - `shared`: `[B, ...sample]`, no member axis yet (shared-input mode).
 * - `members`: `[N, B, ...sample]`.
 */
import type * as tfjs from '@tensorflow/tfjs-core';

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
