/**
 * The machine's float32 GEMM roofline as ONNX Runtime sees it: one `MatMul`
 * of a `[size, size]` input by a `[size, size]` constant, run on the same
 * thread and with the same session options as the engine. Benchmarks report
 * their GFLOP/s against it. Each run is timed inside the ONNX Runtime thread:
 * handing 2 x 4 MiB between threads would otherwise cost about a sixth of a
 * 1024^3 product and understate the machine's peak.
 */
import { seededRandom } from '../../examples/random-members.js';
import { OnnxGraphBuilder } from './onnx-graph-builder.js';
import { encodeOnnxModel } from './onnx-model.js';
import { onnxSessionOptions } from './onnx-session-options.js';
import { OnnxThread } from './onnx-thread.js';

export interface SgemmOptions {
  /** ONNX Runtime's intra-op threads. */
  readonly threads: number;
  /** The matrices' side. @defaultValue 1024 */
  readonly size?: number;
  /** Timed runs after the warm-up. @defaultValue 10 */
  readonly runs?: number;
}

export interface SgemmMeasurement {
  /** `2 * size^3` floating-point operations over the median time. */
  readonly gflops: number;
  /** Median time of one product inside ONNX Runtime. */
  readonly medianMs: number;
}

const WARM_UP_RUNS = 2;

/**
 * Measures float32 matrix-multiply throughput with ONNX Runtime.
 *
 * @example
 * const { gflops } = await measureSgemmGflops({ threads: 2 }); // 1024^3, median of 10
 */
export async function measureSgemmGflops(options: SgemmOptions): Promise<SgemmMeasurement> {
  const { threads, size, runs } = { size: 1024, runs: 10, ...options };
  for (const [name, value] of Object.entries({ threads, size, runs })) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
  const random = seededRandom(0);
  const matrix = () => Float32Array.from({ length: size * size }, () => random() - 0.5);

  const graph = new OnnxGraphBuilder();
  const product = graph.node('MatMul', ['a', graph.constant('b', [size, size], matrix())]);
  graph.alias(product, 'c');
  const model = encodeOnnxModel(graph.build('sgemm', [{ name: 'a', dims: [size, size] }], [{ name: 'c', dims: [size, size] }]));

  const thread = new OnnxThread();
  try {
    const session = await thread.createSession(model, onnxSessionOptions(threads));
    const a = matrix();
    const times: number[] = [];
    for (let i = 0; i < WARM_UP_RUNS + runs; i++) {
      const { runMs } = await thread.timedRun(session, { a: { dims: [size, size], data: a } });
      if (i >= WARM_UP_RUNS) times.push(runMs);
    }
    await thread.release(session);
    times.sort((x, y) => x - y);
    const medianMs = ((times[Math.floor((runs - 1) / 2)] as number) + (times[Math.floor(runs / 2)] as number)) / 2;
    return { gflops: (2 * size ** 3) / (medianMs * 1e6), medianMs };
  } finally {
    await thread.terminate();
  }
}
