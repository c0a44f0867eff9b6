/**
 * The caller's side of the ONNX Runtime thread (`onnx-worker.cjs`): creates
 * sessions from encoded models and runs them.
 */
import { createRequire } from 'node:module';
import type { InferenceSession } from 'onnxruntime-node';
import { compactView, EngineThread } from '../engine-thread.js';

export interface FeedTensor {
  readonly dims: readonly number[];
  readonly data: Float32Array;
}

const onnxruntimePath = createRequire(import.meta.url).resolve('onnxruntime-node');

export class OnnxThread {
  private readonly thread = new EngineThread('ONNX Runtime', new URL('./onnx-worker.cjs', import.meta.url), { onnxruntimePath });

  async createSession(model: Uint8Array, options: InferenceSession.SessionOptions): Promise<number> {
    const reply = await this.thread.request({ type: 'create', model, options }, [model.buffer as ArrayBuffer]);
    return reply.session as number;
  }

  /**
   * Runs a session; `runMs` is the time ONNX Runtime spent in the run itself
   * (no messages, no copies). `consume`: the feeds' buffers move to the
   * thread instead of being copied (the caller's arrays are emptied).
   */
  async timedRun(
    session: number,
    feeds: Record<string, FeedTensor>,
    consume = false,
  ): Promise<{ outputs: Record<string, FeedTensor>; runMs: number }> {
    const compact = Object.fromEntries(
      Object.entries(feeds).map(([name, feed]) => [name, { dims: feed.dims, data: compactView(feed.data) }]),
    );
    const transfer = consume ? Object.values(compact).map((feed) => feed.data.buffer as ArrayBuffer) : [];
    const reply = await this.thread.request({ type: 'run', session, feeds: compact }, transfer);
    return { outputs: reply.outputs as Record<string, FeedTensor>, runMs: reply.runMs as number };
  }

  async release(session: number): Promise<void> {
    await this.thread.request({ type: 'release', session });
  }

  /** Sessions created on the thread and not released (for leak checks). */
  async liveSessions(): Promise<number> {
    return (await this.thread.request({ type: 'sessions' })).sessions as number;
  }

  terminate(): Promise<void> {
    return this.thread.terminate();
  }
}
