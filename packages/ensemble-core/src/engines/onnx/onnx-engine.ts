/**
 * The ONNX Runtime engine (the default). `vectorized` runs one graph whose
 * initializers are the stacked parameters; `loop` runs one single-member graph
 * per member in turn, the seed tutorial's baseline. Sessions live on a thread
 * of their own (see `onnx-thread.ts`).
 */
import { availableParallelism } from 'node:os';
import type { InferenceSession } from 'onnxruntime-node';
import { EngineError } from '../../errors/ensemble-error.js';
import { memberOf, type StackedEnsemble } from '../../stacking/stacked-ensemble.js';
import type { Tensor } from '../../tensor/tensor.js';
import { checkInput } from '../check-input.js';
import type { CompiledEnsemble, EngineOptions, EnsembleEngine, InputMode, RunOptions } from '../engine.js';
import { buildEnsembleGraph, INPUT_NAME, OUTPUT_NAME } from './build-ensemble-graph.js';
import { encodeOnnxModel } from './onnx-model.js';
import { onnxSessionOptions } from './onnx-session-options.js';
import { OnnxThread } from './onnx-thread.js';

export class OnnxEngine implements EnsembleEngine {
  readonly name = 'onnx';
  readonly threads: number;
  private thread: OnnxThread | undefined;

  constructor(options: EngineOptions = {}) {
    const { threads, backend } = { threads: availableParallelism(), backend: 'auto', ...options };
    if (backend !== 'auto' && backend !== 'cpu') throw new RangeError(`the onnx engine runs on the cpu backend; got backend ${backend}`);
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be a positive integer, got ${threads}`);
    this.threads = threads;
  }

  async compile(ensemble: StackedEnsemble): Promise<CompiledEnsemble> {
    this.thread ??= new OnnxThread();
    const compiled = new OnnxCompiledEnsemble(this.thread, ensemble, this.sessionOptions());
    await compiled.prepare();
    return compiled;
  }

  async dispose(): Promise<void> {
    await this.thread?.terminate();
    this.thread = undefined;
  }

  private sessionOptions(): InferenceSession.SessionOptions {
    return onnxSessionOptions(this.threads);
  }
}

type SessionKey = `${'vectorized' | 'loop'}:${InputMode}`;

class OnnxCompiledEnsemble implements CompiledEnsemble {
  readonly architecture: StackedEnsemble['architecture'];
  readonly backend = 'cpu';
  readonly notes: readonly string[] = [];
  private readonly sessions = new Map<SessionKey, Promise<number[]>>();
  private disposed = false;
  lastComputeMs: number | undefined;

  constructor(
    private readonly thread: OnnxThread,
    private readonly ensemble: StackedEnsemble,
    private readonly options: InferenceSession.SessionOptions,
  ) {
    this.architecture = ensemble.architecture;
  }

  /** Compiles the vectorized graphs up front; loop graphs are compiled on first use. */
  async prepare(): Promise<void> {
    await Promise.all([this.sessionsFor('vectorized:shared'), this.sessionsFor('vectorized:per-member')]);
  }

  async run(input: Tensor, options: RunOptions): Promise<Tensor> {
    if (this.disposed) throw new EngineError(`ensemble ${this.architecture.manifest.name} was disposed`);
    const batch = checkInput(this.architecture, input, options.mode);
    const strategy = options.strategy ?? 'vectorized';
    // One set of single-member sessions serves both modes: a member's own minibatch is its shared input.
    const sessions = await this.sessionsFor(strategy === 'loop' ? 'loop:shared' : `vectorized:${options.mode}`);
    const n = this.architecture.manifest.members;
    const outputShape = [n, batch, ...this.architecture.outputShape];
    if (strategy === 'vectorized') {
      const { outputs, runMs } = await this.thread.timedRun(sessions[0] as number, {
        [INPUT_NAME]: { dims: input.shape, data: input.data },
      });
      this.lastComputeMs = runMs;
      return { shape: outputShape, data: (outputs[OUTPUT_NAME] as { data: Float32Array }).data };
    }
    const data = new Float32Array(outputShape.reduce((a, b) => a * b, 1));
    const memberInput = input.data.length / n;
    let computeMs = 0;
    for (const [m, session] of sessions.entries()) {
      const feed =
        options.mode === 'shared'
          ? { dims: input.shape, data: input.data }
          : { dims: input.shape.slice(1), data: input.data.subarray(m * memberInput, (m + 1) * memberInput) };
      const { outputs, runMs } = await this.thread.timedRun(session, { [INPUT_NAME]: feed });
      computeMs += runMs;
      data.set((outputs[OUTPUT_NAME] as { data: Float32Array }).data, (m * data.length) / n);
    }
    this.lastComputeMs = computeMs;
    return { shape: outputShape, data };
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    const all = await Promise.allSettled(this.sessions.values());
    this.sessions.clear();
    for (const result of all) {
      if (result.status === 'fulfilled') for (const session of result.value) await this.thread.release(session);
    }
  }

  private sessionsFor(key: SessionKey): Promise<number[]> {
    let sessions = this.sessions.get(key);
    if (!sessions) {
      const [strategy, mode] = key.split(':') as ['vectorized' | 'loop', InputMode];
      const ensembles =
        strategy === 'vectorized'
          ? [this.ensemble]
          : Array.from({ length: this.architecture.manifest.members }, (_, m) => memberOf(this.ensemble, m));
      sessions = Promise.all(ensembles.map((e) => this.thread.createSession(encodeOnnxModel(buildEnsembleGraph(e, mode)), this.options)));
      this.sessions.set(key, sessions);
    }
    return sessions;
  }
}
