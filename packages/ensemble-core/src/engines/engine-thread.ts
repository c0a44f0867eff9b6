/**
 * A worker thread that an engine computes on, so that a forward pass never
 * blocks the caller's event loop. Requests are messages with an id; each gets
 * one reply `{ id, ok, ... }` or `{ id, ok: false, message }`. The thread does
 * not keep the process alive while no request is pending.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { EngineError } from '../errors/ensemble-error.js';

type Reply = { id: number; ok: true; [key: string]: unknown } | { id: number; ok: false; message: string };

export class EngineThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (reply: Reply) => void; reject: (error: Error) => void }>();
  private nextId = 1;
  private failure: Error | undefined;

  /**
   * @param entry the worker's module, next to the caller (`new URL('./x-worker.js', import.meta.url)`).
   *   When the caller runs from TypeScript sources (tests), the `.ts` twin is loaded through tsx.
   */
  constructor(
    private readonly label: string,
    entry: URL,
    workerData: unknown,
  ) {
    this.worker = fromSources(entry) ? sourceWorker(entry, workerData) : new Worker(entry, { workerData });
    this.worker.unref();
    this.worker.on('message', (reply: Reply) => {
      const request = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (this.pending.size === 0) this.worker.unref();
      request?.resolve(reply);
    });
    const fail = (error: Error) => {
      this.failure = new EngineError(`the ${label} thread stopped: ${error.message}`, { cause: error });
      for (const request of this.pending.values()) request.reject(this.failure);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`exit code ${code}`)));
  }

  request(message: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<Reply & { ok: true }> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, {
        resolve: (reply) => (reply.ok ? resolve(reply) : reject(new EngineError(`${this.label}: ${reply.message}`))),
        reject,
      });
      this.worker.ref();
      this.worker.postMessage({ ...message, id }, transfer);
    });
  }

  async terminate(): Promise<void> {
    await this.worker.terminate();
  }
}

/**
 * The data itself, not a view into a larger buffer: posting a view to a
 * thread copies its whole underlying buffer.
 */
export function compactView(data: Float32Array): Float32Array {
  return data.byteLength === data.buffer.byteLength ? data : data.slice();
}

function fromSources(entry: URL): boolean {
  return entry.pathname.endsWith('.js') && import.meta.url.endsWith('.ts');
}

/** Runs the `.ts` twin of a worker module through tsx (development and tests only). */
function sourceWorker(entry: URL, workerData: unknown): Worker {
  // The ESM entry of tsx's API (require.resolve finds its CommonJS twin).
  const tsx = pathToFileURL(
    createRequire(import.meta.url)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs'),
  ).href;
  const source = entry.href.replace(/\.js$/, '.ts');
  const code = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(source)}); })`;
  return new Worker(code, { eval: true, workerData });
}
