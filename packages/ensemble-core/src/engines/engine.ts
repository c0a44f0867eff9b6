/**
 * The engine interface: compile a stacked ensemble once, then run all N
 * members on a batch as many times as needed. Every engine returns member
 * outputs as `[N, B, ...out]` and never blocks the caller's event loop for
 * the duration of a forward pass.
 */
import type { EnsembleArchitecture } from '../manifest/parse-manifest.js';
import type { StackedEnsemble } from '../stacking/stacked-ensemble.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * `shared`: one minibatch `[B, ...]` for every member (vmap `in_dims=None`).
 * `per-member`: one minibatch per member, `[N, B, ...]` (vmap `in_dims=0`).
 */
export const inputModes = ['shared', 'per-member'] as const;
export type InputMode = (typeof inputModes)[number];

/** `vectorized`: one pass for all members. `loop`: one member at a time, the baseline. */
export const strategies = ['vectorized', 'loop'] as const;
export type Strategy = (typeof strategies)[number];

export interface RunOptions {
  readonly mode: InputMode;
  /** @defaultValue 'vectorized' */
  readonly strategy?: Strategy;
}

export interface EngineOptions {
  /** Threads for one forward pass. @defaultValue the machine's available parallelism */
  readonly threads?: number;
  /**
   * The engine's backend, where it has a choice (TensorFlow.js: `tensorflow-gpu`,
   * `tensorflow`, `wasm`, `cpu`). @defaultValue `auto`: the fastest one installed
   */
  readonly backend?: string;
}

export interface CompiledEnsemble {
  readonly architecture: EnsembleArchitecture;
  /** The backend that runs it, e.g. `cpu` for ONNX Runtime, `wasm` for TensorFlow.js. */
  readonly backend: string;
  /** Where the engine departs from one vectorized pass (e.g. a layer it runs per member), for reports. */
  readonly notes: readonly string[];
  /**
   * Milliseconds the most recent run spent computing on the engine's thread,
   * without the hand-over between threads (for reports: the rest of a run's
   * time is the price of keeping the caller's event loop free).
   */
  readonly lastComputeMs: number | undefined;
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
