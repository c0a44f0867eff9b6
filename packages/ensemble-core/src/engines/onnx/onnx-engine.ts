/**
 * The ONNX Runtime engine (the default). `vectorized` runs one graph whose
 * initializers are the stacked parameters; `loop` runs one single-member graph
 * per member in turn, the seed tutorial's baseline. Sessions live on a thread
 * of their own (see `onnx-thread.ts`); a small ensemble's vectorized graph also
 * gets a session on the caller's thread, for passes shorter than the hand-over
 * (see `caller-thread-policy.ts`).
 *
 * A graph is built for a batch size, and serves every batch size its layers
 * would build the same graph for (`servesBatch`): most graphs serve all, and
 * a layer whose form depends on the batch (`OnnxLayerContext.batchIn`) makes
 * a second graph, with a session of its own, created on the first pass of a
 * batch the first graph does not serve.
 */
import { availableParallelism } from 'node:os';
import type { InferenceSession } from 'onnxruntime-node';
import { EngineError } from '../../errors/ensemble-error.js';
import { memberOf, type StackedEnsemble } from '../../stacking/stacked-ensemble.js';
import type { Tensor } from '../../tensor/tensor.js';
import { checkInput } from '../check-input.js';
import type { CompiledEnsemble, EngineOptions, EnsembleEngine, InputMode, PassThread, RunOptions } from '../engine.js';
import { type BatchQuestion, buildEnsembleGraphFor, INPUT_NAME, OUTPUT_NAME, servesBatch } from './build-ensemble-graph.js';
import { CallerThreadPolicy } from './caller-thread-policy.js';
import { CallerThreadSession } from './caller-thread-session.js';
import { encodeOnnxModel } from './onnx-model.js';
import { onnxSessionOptions } from './onnx-session-options.js';
import { type FeedTensor, OnnxThread } from './onnx-thread.js';

/**
 * About the hand-over to the engine's thread with passes spaced as a busy
 * server's are: 0.11-0.14 ms for the 16-16-4 ensemble and 0.15-0.24 ms for the
 * seed MLPs at batch 1 on a loaded two-core machine (`measure-hand-over.ts`).
 * The seed MLPs' own pass (0.2-0.29 ms) fits under it.
 */
const CALLER_THREAD_MAX_MS = 0.3;
/**
 * A pass reads every parameter at least once, at some 20 GB/s (the seed MLPs'
 * 4.7 MB in 0.2 ms at batch 1): beyond 8 MiB even a batch of one takes longer
 * than the default limit, and a second session would only cost memory and the
 * time to create it.
 */
const CALLER_THREAD_MAX_BYTES = 8 * 2 ** 20;

export class OnnxEngine implements EnsembleEngine {
  readonly name = 'onnx';
  readonly threads: number;
  readonly callerThreadMaxMs: number;
  readonly callerThreadMaxBytes: number;
  private thread: OnnxThread | undefined;
  private readonly compiled = new Set<OnnxCompiledEnsemble>();
  private readonly callerSessions = new Set<CallerThreadSession>();

  constructor(options: EngineOptions = {}) {
    const { threads, backend, callerThreadMaxMs, callerThreadMaxBytes } = {
      threads: availableParallelism(),
      backend: 'auto',
      callerThreadMaxMs: CALLER_THREAD_MAX_MS,
      callerThreadMaxBytes: CALLER_THREAD_MAX_BYTES,
      ...options,
    };
    if (backend !== 'auto' && backend !== 'cpu') throw new RangeError(`the onnx engine runs on the cpu backend; got backend ${backend}`);
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be a positive integer, got ${threads}`);
    if (!(callerThreadMaxMs >= 0)) {
      throw new RangeError(`callerThreadMaxMs must be milliseconds >= 0 (0: never the caller's thread), got ${callerThreadMaxMs}`);
    }
    if (!(callerThreadMaxBytes >= 0)) throw new RangeError(`callerThreadMaxBytes must be bytes >= 0, got ${callerThreadMaxBytes}`);
    this.threads = threads;
    this.callerThreadMaxMs = callerThreadMaxMs;
    this.callerThreadMaxBytes = callerThreadMaxBytes;
  }

  async compile(ensemble: StackedEnsemble): Promise<CompiledEnsemble> {
    this.thread ??= new OnnxThread();
    let bytes = 0;
    for (const data of ensemble.parameters.values()) bytes += data.byteLength;
    const onCaller = this.callerThreadMaxMs > 0 && bytes <= this.callerThreadMaxBytes;
    const compiled = new OnnxCompiledEnsemble(this.thread, ensemble, this.sessionOptions(), {
      policy: onCaller ? new CallerThreadPolicy(this.callerThreadMaxMs) : undefined,
      sessions: this.callerSessions,
      onDispose: () => this.compiled.delete(compiled),
    });
    this.compiled.add(compiled);
    await compiled.prepare();
    return compiled;
  }

  /** Sessions open on each thread (for leak checks). */
  async liveSessions(): Promise<{ readonly caller: number; readonly engine: number }> {
    return { caller: this.callerSessions.size, engine: (await this.thread?.liveSessions()) ?? 0 };
  }

  /** Disposes the ensembles still compiled: those with sessions on the caller's thread would otherwise keep running there. */
  async dispose(): Promise<void> {
    await Promise.allSettled([...this.compiled].map((compiled) => compiled.dispose()));
    await this.thread?.terminate();
    this.thread = undefined;
  }

  private sessionOptions(): InferenceSession.SessionOptions {
    return onnxSessionOptions(this.threads);
  }
}

type SessionKey = `${'vectorized' | 'loop'}:${InputMode}`;

/** The sessions made for one kind of pass: one entry per distinct graph, each serving the batches its questions' answers hold for. */
class BatchVariants<T> {
  private readonly variants: { readonly questions: readonly BatchQuestion[]; readonly value: Promise<T> }[] = [];

  /** The value for passes of `batch`, made by `make` (synchronously building the graphs, whose questions it returns) if none serves it yet. */
  get(batch: number, make: () => { readonly questions: readonly BatchQuestion[]; readonly value: Promise<T> }): Promise<T> {
    const found = this.variants.find((variant) => servesBatch(variant.questions, batch));
    if (found) return found.value;
    const made = make();
    this.variants.push(made);
    return made.value;
  }

  values(): Promise<T>[] {
    return this.variants.map((variant) => variant.value);
  }
}

interface CallerThreadPlan {
  /** Absent when the ensemble runs on the engine's thread only (too large, or the caller's thread is off). */
  readonly policy: CallerThreadPolicy | undefined;
  /** The engine's open caller-thread sessions, which this ensemble's join and leave. */
  readonly sessions: Set<CallerThreadSession>;
  readonly onDispose: () => void;
}

class OnnxCompiledEnsemble implements CompiledEnsemble {
  readonly architecture: StackedEnsemble['architecture'];
  readonly backend = 'cpu';
  readonly notes: string[] = [];
  private readonly sessions = new Map<SessionKey, BatchVariants<number[]>>();
  private readonly callerSessions = new Map<InputMode, BatchVariants<CallerThreadSession>>();
  private policy: CallerThreadPolicy | undefined;
  private disposed = false;
  lastComputeMs: number | undefined;
  lastPassThread: PassThread | undefined;

  constructor(
    private readonly thread: OnnxThread,
    private readonly ensemble: StackedEnsemble,
    private readonly options: InferenceSession.SessionOptions,
    private readonly callerThread: CallerThreadPlan,
  ) {
    this.architecture = ensemble.architecture;
    this.policy = callerThread.policy;
  }

  /** Compiles the vectorized graphs for batch 1 up front; others, and loop graphs, are compiled on first use. */
  async prepare(): Promise<void> {
    await Promise.all([this.sessionsFor('vectorized:shared', 1), this.sessionsFor('vectorized:per-member', 1)]);
  }

  async run(input: Tensor, options: RunOptions): Promise<Tensor> {
    if (this.disposed) throw new EngineError(`ensemble ${this.architecture.manifest.name} was disposed`);
    const batch = checkInput(this.architecture, input, options.mode);
    const n = this.architecture.manifest.members;
    const outputShape = [n, batch, ...this.architecture.outputShape];
    if ((options.strategy ?? 'vectorized') === 'vectorized') {
      const feed = { dims: input.shape, data: input.data };
      return { shape: outputShape, data: await this.runVectorized(feed, options.mode, batch, options.consumeInput ?? false) };
    }
    // One set of single-member sessions serves both modes: a member's own minibatch is its shared input.
    const sessions = await this.sessionsFor('loop:shared', batch);
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
      data.set((outputs[OUTPUT_NAME] as FeedTensor).data, (m * data.length) / n);
    }
    this.lastComputeMs = computeMs;
    this.lastPassThread = 'engine';
    return { shape: outputShape, data };
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.callerThread.onDispose();
    const [engine, caller] = await Promise.all([
      Promise.allSettled([...this.sessions.values()].flatMap((variants) => variants.values())),
      Promise.allSettled([...this.callerSessions.values()].flatMap((variants) => variants.values())),
    ]);
    this.sessions.clear();
    this.callerSessions.clear();
    for (const result of caller) if (result.status === 'fulfilled') await this.releaseCallerSession(result.value);
    for (const result of engine) {
      if (result.status === 'fulfilled') for (const session of result.value) await this.thread.release(session);
    }
  }

  /** One vectorized pass, on the thread the policy picks; the time it is given excludes creating a session. */
  private async runVectorized(feed: FeedTensor, mode: InputMode, batch: number, consume: boolean): Promise<Float32Array> {
    const key = CallerThreadPolicy.key(mode, batch);
    const caller = this.policy?.choose(key) === 'caller' ? await this.callerSession(mode, batch) : undefined;
    const engine = caller ? undefined : ((await this.sessionsFor(`vectorized:${mode}`, batch))[0] as number);
    if (this.disposed) throw new EngineError(`ensemble ${this.architecture.manifest.name} was disposed`);
    const started = performance.now();
    const { outputs, runMs } = caller
      ? await caller.timedRun({ [INPUT_NAME]: feed })
      : await this.thread.timedRun(engine as number, { [INPUT_NAME]: feed }, consume);
    const thread: PassThread = caller ? 'caller' : 'engine';
    this.policy?.record(key, thread, performance.now() - started, runMs);
    this.lastComputeMs = runMs;
    this.lastPassThread = thread;
    return (outputs[OUTPUT_NAME] as FeedTensor).data;
  }

  /**
   * The vectorized graph's session on the caller's thread, created on first use.
   * If it cannot be created, this ensemble stays on the engine's thread (the pass
   * that asked waits for the engine instead), and a note says why.
   */
  private async callerSession(mode: InputMode, batch: number): Promise<CallerThreadSession | undefined> {
    let variants = this.callerSessions.get(mode);
    if (!variants) {
      variants = new BatchVariants();
      this.callerSessions.set(mode, variants);
    }
    const session = variants.get(batch, () => {
      const { graph, batchQuestions } = buildEnsembleGraphFor(this.ensemble, mode, batch);
      const created = CallerThreadSession.create(encodeOnnxModel(graph));
      // Counted from the moment it exists; `dispose` (which waits for every creation begun) releases it.
      created.then(
        (made) => this.callerThread.sessions.add(made),
        () => {},
      );
      return { questions: batchQuestions, value: created };
    });
    try {
      return await session;
    } catch (error) {
      this.policy = undefined;
      const note = `vectorized passes stay on the engine's thread: no session on the caller's thread (${String((error as Error)?.message ?? error)})`;
      if (!this.notes.includes(note)) this.notes.push(note);
      return undefined;
    }
  }

  private async releaseCallerSession(session: CallerThreadSession): Promise<void> {
    this.callerThread.sessions.delete(session);
    await session.release();
  }

  /** The sessions of `key` for passes of `batch`: one vectorized session, or one per member for the loop. */
  private sessionsFor(key: SessionKey, batch: number): Promise<number[]> {
    let variants = this.sessions.get(key);
    if (!variants) {
      variants = new BatchVariants();
      this.sessions.set(key, variants);
    }
    return variants.get(batch, () => {
      const [strategy, mode] = key.split(':') as ['vectorized' | 'loop', InputMode];
      const ensembles =
        strategy === 'vectorized'
          ? [this.ensemble]
          : Array.from({ length: this.architecture.manifest.members }, (_, m) => memberOf(this.ensemble, m));
      const built = ensembles.map((e) => {
        const { graph, batchQuestions } = buildEnsembleGraphFor(e, mode, batch);
        return { questions: batchQuestions, session: this.thread.createSession(encodeOnnxModel(graph), this.options) };
      });
      return { questions: built.flatMap((b) => b.questions), value: Promise.all(built.map((b) => b.session)) };
    });
  }
}
