/**
 * Micro-batching: predictions for the same compiled ensemble and input mode
 * that arrive while a forward pass is running are merged into the next pass
 * (concatenated on the batch axis, up to a row limit), then split back. A
 * request that finds the ensemble idle runs at once, so batching costs
 * nothing when the system is quiet and fills batches exactly when it is busy.
 * An optional wait lets a pass gather more rows before it starts.
 */
import { type CompiledEnsemble, checkInput, type InputMode, type Tensor } from '@ensembles/core';
import { concatBatch, splitBatch } from './batch-axis.js';

export interface MicroBatcherOptions {
  /** Most batch rows in one pass (a single larger request still runs, alone). @defaultValue 256 */
  readonly maxRows?: number;
  /** Milliseconds a pass may wait for more requests before it starts. @defaultValue 0 */
  readonly maxWaitMs?: number;
  /** Milliseconds after which a pass still running is reported hung (0: never). @defaultValue 0 */
  readonly passTimeoutMs?: number;
  /** Called once for each pass that outlives `passTimeoutMs` (it keeps running: engines cannot be interrupted). */
  readonly onPassHung?: (pass: { readonly jobs: number; readonly rows: number; readonly ms: number }) => void;
}

export interface BatchedOutput {
  /** This request's member outputs `[N, B, ...out]`. */
  readonly members: Tensor;
  /** The pass it ran in: its compute time, how many requests and rows shared it. */
  readonly computeMs: number;
  readonly batchJobs: number;
  readonly batchRows: number;
}

interface Pending {
  readonly input: Tensor;
  readonly rows: number;
  readonly resolve: (output: BatchedOutput) => void;
  readonly reject: (error: unknown) => void;
}

interface Lane {
  readonly queue: Pending[];
  running: boolean;
}

export class MicroBatcher {
  private readonly lanes = new Map<string, Lane>();
  private readonly options: Required<MicroBatcherOptions>;

  constructor(options: MicroBatcherOptions = {}) {
    this.options = { maxRows: 256, maxWaitMs: 0, passTimeoutMs: 0, onPassHung: () => undefined, ...options };
    if (!Number.isInteger(this.options.maxRows) || this.options.maxRows < 1)
      throw new RangeError(`maxRows must be a positive integer, got ${this.options.maxRows}`);
    if (!(this.options.maxWaitMs >= 0)) throw new RangeError(`maxWaitMs must be >= 0, got ${this.options.maxWaitMs}`);
  }

  /**
   * Runs `input` through `compiled`, in a pass shared with other requests for
   * the same `key` (an ensemble version) and mode. The input is checked first,
   * so a bad request fails alone and never joins a batch. The batcher takes
   * the input over: its buffer may move to the engine's thread, emptying it.
   */
  async run(key: string, compiled: CompiledEnsemble, mode: InputMode, input: Tensor): Promise<BatchedOutput> {
    // Synchronous up to the queueing, so that arrival order is batch order.
    const rows = checkInput(compiled.architecture, input, mode);
    const laneKey = `${key}:${mode}`;
    let lane = this.lanes.get(laneKey);
    if (!lane) {
      lane = { queue: [], running: false };
      this.lanes.set(laneKey, lane);
    }
    const result = new Promise<BatchedOutput>((resolve, reject) => lane.queue.push({ input, rows, resolve, reject }));
    if (!lane.running) void this.drain(laneKey, lane, compiled, mode);
    return result;
  }

  private async drain(laneKey: string, lane: Lane, compiled: CompiledEnsemble, mode: InputMode): Promise<void> {
    lane.running = true;
    try {
      while (lane.queue.length > 0) {
        if (this.options.maxWaitMs > 0) await new Promise((resolve) => setTimeout(resolve, this.options.maxWaitMs));
        const batch = this.take(lane);
        await this.runBatch(compiled, mode, batch);
      }
    } finally {
      lane.running = false;
      if (lane.queue.length === 0) this.lanes.delete(laneKey);
    }
  }

  /** The oldest requests that fit in `maxRows` (at least one). */
  private take(lane: Lane): Pending[] {
    const batch: Pending[] = [];
    let rows = 0;
    while (lane.queue.length > 0) {
      const next = lane.queue[0] as Pending;
      if (batch.length > 0 && rows + next.rows > this.options.maxRows) break;
      batch.push(next);
      rows += next.rows;
      lane.queue.shift();
    }
    return batch;
  }

  private async runBatch(compiled: CompiledEnsemble, mode: InputMode, batch: Pending[]): Promise<void> {
    const rows = batch.reduce((total, pending) => total + pending.rows, 0);
    try {
      const input = concatBatch(
        batch.map((p) => p.input),
        mode,
      );
      // The pass may take the input's buffer (no copy to the engine's thread): nothing reads it afterwards, and a
      // failing batch of several is run again from each request's own input, which merging copied.
      const members = await this.watched(compiled.run(input, { mode, consumeInput: true }), batch.length, rows);
      const computeMs = compiled.lastComputeMs ?? 0;
      const parts = splitBatch(
        members,
        batch.map((p) => p.rows),
      );
      for (const [i, pending] of batch.entries()) {
        pending.resolve({ members: parts[i] as Tensor, computeMs, batchJobs: batch.length, batchRows: rows });
      }
    } catch (error) {
      if (batch.length === 1) {
        batch[0]?.reject(error);
        return;
      }
      // One request must not fail its neighbours: run each alone to find out which one fails.
      for (const pending of batch) await this.runBatch(compiled, mode, [pending]);
    }
  }

  /** A pass, reported hung if it outlives `passTimeoutMs`. */
  private async watched<T>(pass: Promise<T>, jobs: number, rows: number): Promise<T> {
    const { passTimeoutMs, onPassHung } = this.options;
    if (passTimeoutMs <= 0) return pass;
    const watchdog = setTimeout(() => onPassHung({ jobs, rows, ms: passTimeoutMs }), passTimeoutMs);
    try {
      return await pass;
    } finally {
      clearTimeout(watchdog);
    }
  }
}
