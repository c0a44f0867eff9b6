/**
 * Times, on one TensorFlow.js backend, the kernel choices the engine makes for
 * it: one batched or wide kernel against the same work as per-member kernels,
 * and the two ways of splitting the member axis. The bench prints these so
 * that each backend's formulation rests on figures measured in the same run.
 */
import { performance } from 'node:perf_hooks';
import type { Tensor, Tensor2D, Tensor4D } from '@tensorflow/tfjs-core';
import type { Tf } from '../../kernels/tfjs-kernel.js';
import { loadTfjs, type TfjsBackend } from './tfjs-backends.js';

export interface KernelComparison {
  /** What is computed, e.g. `matMul [10, 64, 784] x [10, 784, 128]`. */
  readonly work: string;
  /** The single (batched, wide or slicing) kernel. */
  readonly oneKernel: { readonly name: string; readonly medianMs: number };
  /** The same work as per-member kernels (or a read-back split). */
  readonly perMember: { readonly name: string; readonly medianMs: number };
}

/** Runs on the calling thread: for benchmarks, not for serving. */
export async function probeTfjsKernels(backend: TfjsBackend, runs = 10): Promise<KernelComparison[]> {
  const { tf } = await loadTfjs(backend);
  const time = (fn: () => Tensor | Tensor[]) => medianMs(tf, fn, runs);
  const results: KernelComparison[] = [];
  tf.engine().startScope();
  try {
    const a = tf.randomNormal([10, 64, 784]);
    const b = tf.randomNormal([10, 784, 128]);
    const as = tf.unstack(a) as Tensor2D[];
    const bs = tf.unstack(b) as Tensor2D[];
    results.push({
      work: 'matMul [10, 64, 784] x [10, 784, 128]',
      oneKernel: { name: 'batched', medianMs: time(() => tf.matMul(a, b)) },
      perMember: { name: '10 2-D products', medianMs: time(() => as.map((x, m) => tf.matMul(x, bs[m] as Tensor2D))) },
    });
    const x = tf.randomNormal([16, 784]);
    const wide = tf.randomNormal([784, 64 * 512]);
    const narrow = Array.from({ length: 64 }, () => tf.randomNormal([784, 512]));
    results.push({
      work: 'matMul [16, 784] x [784, 64*512]',
      oneKernel: { name: 'one wide product', medianMs: time(() => tf.matMul(x, wide)) },
      perMember: { name: '64 narrow products', medianMs: time(() => narrow.map((w) => tf.matMul(x, w))) },
    });
    const images = tf.randomNormal([32, 28, 28, 1]) as Tensor4D;
    const all = tf.randomNormal([3, 3, 1, 64]) as Tensor4D;
    const each = Array.from({ length: 8 }, () => tf.randomNormal([3, 3, 1, 8]) as Tensor4D);
    results.push({
      work: 'conv2d 3x3 on [32, 28, 28, 1], 64 filters',
      oneKernel: { name: 'one convolution', medianMs: time(() => tf.conv2d(images, all, 1, 1)) },
      perMember: { name: '8 convolutions of 8', medianMs: time(() => each.map((f) => tf.conv2d(images, f, 1, 1))) },
    });
    const stacked = tf.randomNormal([64, 16, 784]);
    results.push({
      work: 'split [64, 16, 784] into members',
      oneKernel: { name: 'unstack', medianMs: time(() => tf.unstack(stacked)) },
      perMember: {
        name: 'read back and re-upload',
        medianMs: time(() => {
          const data = stacked.dataSync() as Float32Array;
          return Array.from({ length: 64 }, (_, m) => tf.tensor(data.subarray(m * 16 * 784, (m + 1) * 16 * 784), [16, 784]));
        }),
      },
    });
  } finally {
    tf.engine().endScope();
  }
  return results;
}

function medianMs(tf: Tf, fn: () => Tensor | Tensor[], runs: number): number {
  const times: number[] = [];
  for (let i = 0; i < runs + 2; i++) {
    const started = performance.now();
    tf.tidy(() => {
      const result = fn();
      for (const tensor of Array.isArray(result) ? result : [result]) tensor.dataSync();
    });
    if (i >= 2) times.push(performance.now() - started);
  }
  return times.sort((p, q) => p - q)[Math.floor(times.length / 2)] as number;
}
