/**
 * An ONNX Runtime session on the caller's own thread, for passes shorter than
 * the hand-over to the engine's thread (`caller-thread-policy.ts` decides when).
 * A pass blocks the caller's event loop from start to end; so does creating the
 * session (milliseconds to tens of milliseconds), which is why it is created on
 * the first pass that wants it, not with the ensemble.
 *
 * One intra-op thread: the passes it takes are a fraction of a millisecond,
 * where waking a pool costs more than it saves (measured 0.014 ms on one thread
 * against 0.016 ms on two for the 16-16-4 ensemble, 0.20 against 0.22 ms for the
 * seed MLPs at batch 1), and no pool's threads are kept for each cached ensemble.
 */
import { createRequire } from 'node:module';
import type * as Ort from 'onnxruntime-node';
import { onnxSessionOptions } from './onnx-session-options.js';
import type { FeedTensor } from './onnx-thread.js';

let ort: typeof Ort | undefined;

/** onnxruntime-node on this thread, loaded by the first session that needs it. */
function onnxruntime(): typeof Ort {
  ort ??= createRequire(import.meta.url)('onnxruntime-node') as typeof Ort;
  return ort;
}

export class CallerThreadSession {
  private constructor(private readonly session: Ort.InferenceSession) {}

  static async create(model: Uint8Array): Promise<CallerThreadSession> {
    return new CallerThreadSession(await onnxruntime().InferenceSession.create(model, onnxSessionOptions(1)));
  }

  /** Runs the session; `runMs` is the time of the run itself, as `OnnxThread.timedRun` reports it. */
  async timedRun(feeds: Record<string, FeedTensor>): Promise<{ outputs: Record<string, FeedTensor>; runMs: number }> {
    const { Tensor } = onnxruntime();
    const tensors = Object.fromEntries(Object.entries(feeds).map(([name, feed]) => [name, new Tensor('float32', feed.data, feed.dims)]));
    // onnxruntime-node runs a session in a setImmediate callback that `run` queues. This one, queued
    // first, runs right before it: the time starts there, not counting the callbacks the event loop
    // ran while the run waited for its turn.
    let started = performance.now();
    setImmediate(() => {
      started = performance.now();
    });
    const results = await this.session.run(tensors);
    const runMs = performance.now() - started;
    const outputs: Record<string, FeedTensor> = {};
    for (const [name, result] of Object.entries(results)) {
      outputs[name] = { dims: result.dims, data: result.data as Float32Array };
    }
    return { outputs, runMs };
  }

  release(): Promise<void> {
    return this.session.release();
  }
}
