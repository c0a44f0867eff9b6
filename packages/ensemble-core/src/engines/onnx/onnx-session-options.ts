/** The ONNX Runtime session options every session of this project uses, so that timings compare like with like. */
import type { InferenceSession } from 'onnxruntime-node';

export function onnxSessionOptions(threads: number): InferenceSession.SessionOptions {
  return {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    // Errors only: the optimizer's notes (e.g. initializers it folded away) are not the user's concern.
    logSeverityLevel: 3,
    // Loop sessions run one after another: idle pools must not spin against the active one.
    extra: {
      session: { intra_op: { allow_spinning: '0' } },
      // ONNX Runtime 1.30's GatherSliceToSplitFusion fails the session ("Attempt to replace the
      // existing tensor") on graphs that pick q, k and v out of one projection with scalar Gathers,
      // as exported attention does, once per layer.
      optimization: { disable_specified_optimizers: 'GatherSliceToSplitFusion' },
    },
  };
}
