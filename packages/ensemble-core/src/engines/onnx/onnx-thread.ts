/**
 * The caller's side of the ONNX Runtime thread (`onnx-worker.cjs`): creates
 * sessions from encoded models and runs them, each request a promise.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { InferenceSession } from 'onnxruntime-node';
import { EngineError } from '../../errors/ensemble-error.js';

export interface FeedTensor {
  readonly dims: readonly number[];
  readonly data: Float32Array;
}

type Reply = { id: number; ok: true; [key: string]: unknown } | { id: number; ok: false; message: string };

const onnxruntimePath = createRequire(import.meta.url).resolve('onnxruntime-node');

export class OnnxThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (reply: Reply) => void; reject: (error: Error) => void }>();
  private nextId = 1;
  private failure: Error | undefined;

  constructor() {
    this.worker = new Worker(new URL('./onnx-worker.cjs', import.meta.url), { workerData: { onnxruntimePath } });
    this.worker.unref();
    this.worker.on('message', (reply: Reply) => {
      const request = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (this.pending.size === 0) this.worker.unref();
      request?.resolve(reply);
    });
    const fail = (error: Error) => {
      this.failure = new EngineError(`the ONNX Runtime thread stopped: ${error.message}`, { cause: error });
      for (const request of this.pending.values()) request.reject(this.failure);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`exit code ${code}`)));
  }

  async createSession(model: Uint8Array, options: InferenceSession.SessionOptions): Promise<number> {
    const reply = await this.request({ type: 'create', model, options }, [model.buffer as ArrayBuffer]);
    return reply.session as number;
  }

  async run(session: number, feeds: Record<string, FeedTensor>): Promise<Record<string, FeedTensor>> {
    const reply = await this.request({ type: 'run', session, feeds });
    return reply.outputs as Record<string, FeedTensor>;
  }

  async release(session: number): Promise<void> {
    await this.request({ type: 'release', session });
  }

  async terminate(): Promise<void> {
    await this.worker.terminate();
  }

  private request(message: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<Reply & { ok: true }> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, {
        resolve: (reply) => (reply.ok ? resolve(reply) : reject(new EngineError(`ONNX Runtime: ${reply.message}`))),
        reject,
      });
      this.worker.ref();
      this.worker.postMessage({ ...message, id }, transfer);
    });
  }
}
