/**
 * The engine interface: compile a stacked ensemble once, then run all N
 * members on a batch as many times as needed. Every engine returns member
 * outputs as `[N, B, ...out]` and never blocks the caller's event loop for
 * the duration of a forward pass, but for passes shorter than the hand-over
 * to its thread would be (see `callerThreadMaxMs`).
 */
import type { InputMode } from '@ensembles/protocol';
import type { EnsembleArchitecture } from '../manifest/parse-manifest.js';
import type { StackedEnsemble } from '../stacking/stacked-ensemble.js';
import type { Tensor } from '../tensor/tensor.js';

// The input modes are the API's vocabulary (`@ensembles/protocol`, zod only): one home for every face.
export { type InputMode, inputModes } from '@ensembles/protocol';

/** `vectorized`: one pass for all members. `loop`: one member at a time, the baseline. */
export const strategies = ['vectorized', 'loop'] as const;
export type Strategy = (typeof strategies)[number];

/** The thread a pass ran on: the caller's own, or the engine's. */
export type PassThread = 'caller' | 'engine';

export interface RunOptions {
  readonly mode: InputMode;
  /** @defaultValue 'vectorized' */
  readonly strategy?: Strategy;
  /**
   * The caller no longer needs the input's values: an engine that hands the
   * input to a thread of its own may move its buffer there instead of copying
   * it (the caller's array is then emptied). @defaultValue false
   */
  readonly consumeInput?: boolean;
}

export interface EngineOptions {
  /** Threads for one forward pass. @defaultValue the machine's available parallelism */
  readonly threads?: number;
  /**
   * The engine's backend, where it has a choice (TensorFlow.js: `tensorflow-gpu`,
   * `tensorflow`, `wasm`, `cpu`). @defaultValue `auto`: the fastest one installed
   */
  readonly backend?: string;
  /**
   * The longest vectorized pass, in milliseconds, that runs on the caller's
   * thread instead of the engine's: below this the hand-over to the engine's
   * thread (a message each way and a thread waking up) costs more than the pass
   * itself. The engine times both paths at the first passes of each input mode
   * and batch size (to the next power of two) and keeps the caller's thread
   * while its passes stay under the limit and beat the hand-over. 0: never the
   * caller's thread. `Infinity`: always, untimed, for every ensemble within
   * `callerThreadMaxBytes`. Engines without the choice (TensorFlow.js) ignore it.
   * @defaultValue 0.3
   */
  readonly callerThreadMaxMs?: number;
  /**
   * The largest ensemble, in bytes of stacked float32 parameters, that gets a
   * second session on the caller's thread (see `callerThreadMaxMs`).
   * @defaultValue 8 MiB (8388608)
   */
  readonly callerThreadMaxBytes?: number;
}

export interface CompiledEnsemble {
  readonly architecture: EnsembleArchitecture;
  /** The backend that runs it, e.g. `cpu` for ONNX Runtime, `wasm` for TensorFlow.js. */
  readonly backend: string;
  /** Where the engine departs from one vectorized pass (e.g. a layer it runs per member), for reports. */
  readonly notes: readonly string[];
  /**
   * Milliseconds the most recent run spent computing, on whichever thread ran
   * it, without the hand-over between threads (for reports: the rest of a run's
   * time is the price of keeping the caller's event loop free).
   */
  readonly lastComputeMs: number | undefined;
  /** The thread the most recent run computed on (for reports and tests). */
  readonly lastPassThread: PassThread | undefined;
  /** Member outputs `[N, B, ...out]` for a `[B, ...in]` (shared) or `[N, B, ...in]` (per-member) input. */
  run(input: Tensor, options: RunOptions): Promise<Tensor>;
  dispose(): Promise<void>;
}

export interface EnsembleEngine {
  /** The engine's name as the CLI and API spell it (`onnx`). */
  readonly name: string;
  compile(ensemble: StackedEnsemble): Promise<CompiledEnsemble>;
  /** Releases what the engine holds (threads, sessions). */
  dispose(): Promise<void>;
}
