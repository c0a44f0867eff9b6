/**
 * The TensorFlow.js engine. Runs on its own thread (`tfjs-worker.ts`) with
 * the backend chosen by `tfjs-backends.ts`. `vectorized` applies each op's
 * TensorFlow.js form to all members at once where the backend allows it;
 * `loop` runs one single-member program per member.
 */
import { EngineError } from '../../errors/ensemble-error.js';
import type { StackedEnsemble } from '../../stacking/stacked-ensemble.js';
import type { Tensor } from '../../tensor/tensor.js';
import { checkInput } from '../check-input.js';
import type { CompiledEnsemble, EngineOptions, EnsembleEngine, PassThread, RunOptions } from '../engine.js';
import { compactView, EngineThread } from '../engine-thread.js';
import { isTfjsBackend, type TfjsBackend, tfjsBackends } from './tfjs-backends.js';

export interface TfjsEngineOptions extends EngineOptions {
  /**
   * Batched and wide kernels (one per layer) or per-member kernels inside the
   * pass. @defaultValue batched on native TensorFlow, per-member on wasm and cpu
   */
  readonly batchedKernels?: boolean;
}

export class TfjsEngine implements EnsembleEngine {
  readonly name = 'tfjs';
  private readonly options: { backend: TfjsBackend | 'auto'; batchedKernels: boolean | undefined };
  private thread: EngineThread | undefined;

  constructor(options: TfjsEngineOptions = {}) {
    const { backend, batchedKernels } = { backend: 'auto', ...options };
    if (!isTfjsBackend(backend)) throw new RangeError(`unknown TensorFlow.js backend ${backend}; one of auto, ${tfjsBackends.join(', ')}`);
    this.options = { backend, batchedKernels };
  }

  /** The backend in use (starts the engine's thread). */
  async backend(): Promise<TfjsBackend> {
    const reply = await this.start().request({ type: 'backend' });
    return reply.backend as TfjsBackend;
  }

  async compile(ensemble: StackedEnsemble): Promise<CompiledEnsemble> {
    const backend = await this.backend();
    const reply = await this.start().request({ type: 'compile', ensemble });
    return new TfjsCompiledEnsemble(this.start(), reply.program as number, ensemble, backend);
  }

  /** Live tensors in the engine's thread (for leak checks). */
  async liveTensors(): Promise<number> {
    return (await this.start().request({ type: 'memory' })).tensors as number;
  }

  async dispose(): Promise<void> {
    await this.thread?.terminate();
    this.thread = undefined;
  }

  private start(): EngineThread {
    this.thread ??= new EngineThread('TensorFlow.js', new URL('./tfjs-worker.js', import.meta.url), this.options);
    return this.thread;
  }
}

class TfjsCompiledEnsemble implements CompiledEnsemble {
  readonly architecture: StackedEnsemble['architecture'];
  readonly notes: string[] = [];
  private disposed = false;
  lastComputeMs: number | undefined;
  lastPassThread: PassThread | undefined;

  constructor(
    private readonly thread: EngineThread,
    private readonly program: number,
    ensemble: StackedEnsemble,
    readonly backend: TfjsBackend,
  ) {
    this.architecture = ensemble.architecture;
  }

  async run(input: Tensor, options: RunOptions): Promise<Tensor> {
    if (this.disposed) throw new EngineError(`ensemble ${this.architecture.manifest.name} was disposed`);
    const batch = checkInput(this.architecture, input, options.mode);
    const reply = await this.thread.request({
      type: 'run',
      program: this.program,
      input: { shape: input.shape, data: compactView(input.data) },
      mode: options.mode,
      strategy: options.strategy ?? 'vectorized',
    });
    for (const note of reply.notes as string[]) if (!this.notes.includes(note)) this.notes.push(note);
    this.lastComputeMs = reply.computeMs as number;
    this.lastPassThread = 'engine';
    return { shape: [this.architecture.manifest.members, batch, ...this.architecture.outputShape], data: reply.data as Float32Array };
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.thread.request({ type: 'release', program: this.program });
  }
}
