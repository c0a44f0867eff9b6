/**
 * A stacked ensemble compiled for TensorFlow.js: parameters uploaded once as
 * tensors, each op's TensorFlow.js form applied layer by layer inside
 * `tf.tidy`, so nothing but the kept parameters outlives a pass. Runs on the
 * engine's thread (see `tfjs-worker.ts`).
 */
import type * as tfjs from '@tensorflow/tfjs-core';
import { type Tf, type TfjsGraphValue, type TfjsLayerContext, tfjsGraphValueToMembers, toMembersValue } from '../../kernels/tfjs-kernel.js';
import { opDefinition } from '../../ops/index.js';
import { memberOf, type StackedEnsemble } from '../../stacking/stacked-ensemble.js';
import { batchFirst } from '../../tensor/symbolic-shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { InputMode, Strategy } from '../engine.js';

type Schedule = 'layer by layer' | 'member by member';
/** Timed calls per schedule before choosing (the first of each is a warm-up). */
export const SCHEDULE_TRIALS = 5;
/** How much faster layer by layer must measure to be chosen over the loop's own order. */
const LAYER_BY_LAYER_MARGIN = 0.95;

export interface TfjsProgramOptions {
  /** Whether the backend's batched kernels beat N per-member kernels (see `TfjsLayerContext`). */
  readonly batchedKernels: boolean;
}

export class TfjsProgram {
  readonly notes = new Set<string>();
  private readonly parameters = new Map<string, tfjs.Tensor>();
  private readonly constants = new Map<string, tfjs.Tensor>();
  private memberPrograms: TfjsProgram[] | undefined;
  private readonly schedules = new Map<string, Schedule | Record<Schedule, number[]>>();

  constructor(
    private readonly tf: Tf,
    private readonly ensemble: StackedEnsemble,
    private readonly options: TfjsProgramOptions,
  ) {
    const n = ensemble.architecture.manifest.members;
    for (const [name, shape] of ensemble.architecture.parameterShapes) {
      this.parameters.set(name, tf.tensor(ensemble.parameters.get(name) as Float32Array, [n, ...shape]));
    }
  }

  /** Member outputs `[N, B, ...out]` as a flat buffer. */
  run(input: Tensor, mode: InputMode, strategy: Strategy): Float32Array {
    if (strategy === 'loop') return this.memberByMember(input, mode);
    if (this.options.batchedKernels || this.ensemble.architecture.manifest.members === 1) return this.forward(input, mode);
    return this.scheduled(input, mode);
  }

  /**
   * Without batched kernels, the vectorized pass runs the same per-member
   * kernels as the loop, and its order decides: layer by layer (one call per
   * elementwise op for all members, which pays at small batches) or member by
   * member (each member's activations stay in cache, which pays when they are
   * large). The first calls for each input mode and shape time both (the first
   * of each is a warm-up) and keep layer by layer only where it is clearly
   * faster, so vectorized is never slower than the loop; both orders give the
   * same numbers.
   */
  private scheduled(input: Tensor, mode: InputMode): Float32Array {
    const key = `${mode}:${input.shape.join('x')}`;
    const known = this.schedules.get(key);
    if (known === 'layer by layer') return this.forward(input, mode);
    if (known === 'member by member') return this.memberByMember(input, mode);
    const trials = known ?? { 'layer by layer': [], 'member by member': [] };
    const order = trials['layer by layer'].length <= trials['member by member'].length ? 'layer by layer' : 'member by member';
    const started = performance.now();
    const output = order === 'layer by layer' ? this.forward(input, mode) : this.memberByMember(input, mode);
    trials[order].push(performance.now() - started);
    if (trials['member by member'].length < SCHEDULE_TRIALS) {
      this.schedules.set(key, trials);
      return output;
    }
    const typical = (times: number[]) => times.slice(1).sort((a, b) => a - b)[Math.floor((times.length - 1) / 2)] as number;
    // Member by member is the loop's order, so it can only tie with the loop: keep it unless
    // layer by layer is clearly faster, not just luckier in a few noisy timings.
    const choice =
      typical(trials['layer by layer']) < LAYER_BY_LAYER_MARGIN * typical(trials['member by member'])
        ? 'layer by layer'
        : 'member by member';
    this.schedules.set(key, choice);
    if (choice === 'member by member') {
      this.notes.add(
        `vectorized ${mode} input ${input.shape.join('x')} runs member by member (the loop's order): measured faster than layer by layer here`,
      );
    }
    return output;
  }

  private memberByMember(input: Tensor, mode: InputMode): Float32Array {
    this.memberPrograms ??= Array.from(
      { length: this.ensemble.architecture.manifest.members },
      (_, m) => new TfjsProgram(this.tf, memberOf(this.ensemble, m), this.options),
    );
    const n = this.memberPrograms.length;
    const memberInput = input.data.length / n;
    const outputs = this.memberPrograms.map((program, m) =>
      mode === 'shared'
        ? program.forward(input, mode)
        : program.forward({ shape: [1, ...input.shape.slice(1)], data: input.data.subarray(m * memberInput, (m + 1) * memberInput) }, mode),
    );
    const data = new Float32Array(outputs.reduce((total, out) => total + out.length, 0));
    for (const [m, out] of outputs.entries()) data.set(out, m * out.length);
    return data;
  }

  dispose(): void {
    for (const tensor of [...this.parameters.values(), ...this.constants.values()]) tensor.dispose();
    this.parameters.clear();
    this.constants.clear();
    for (const program of this.memberPrograms ?? []) program.dispose();
  }

  /**
   * Splits the leading (member) axis. On wasm and cpu, slicing kernels cost
   * far more than reading the buffer once (measured: 155 ms to unstack
   * [64, 16, 784] on wasm, 1.5 ms this way), so those backends copy out.
   */
  private split(x: tfjs.Tensor): tfjs.Tensor[] {
    const { tf } = this;
    const [n, ...rest] = x.shape as [number, ...number[]];
    if (n === 1) return [tf.reshape(x, rest)];
    if (this.options.batchedKernels) return tf.unstack(x);
    const data = x.dataSync() as Float32Array;
    const size = data.length / n;
    return Array.from({ length: n }, (_, m) => tf.tensor(data.subarray(m * size, (m + 1) * size), rest));
  }

  private forward(input: Tensor, mode: InputMode): Float32Array {
    const { tf } = this;
    const { architecture } = this.ensemble;
    const members = architecture.manifest.members;
    const parameter = (name: string): tfjs.Tensor => {
      const tensor = this.parameters.get(name);
      if (!tensor) throw new Error(`stacked parameter ${name} is missing`);
      return tensor;
    };
    const constant = (index: number) => (key: string, build: () => tfjs.Tensor) => {
      const id = `${index}:${key}`;
      let tensor = this.constants.get(id);
      if (!tensor) {
        tensor = tf.keep(build());
        this.constants.set(id, tensor);
      }
      return tensor;
    };
    const note = (message: string) => this.notes.add(message);
    return tf.tidy(() => {
      const data = tf.tensor(input.data, [...input.shape]);
      const values = new Map<string, TfjsGraphValue>([
        [
          'input',
          {
            // Token ids travel as exact float32 integers; TensorFlow.js indexes with int32.
            t: architecture.manifest.input.dtype === 'int64' ? tf.cast(data, 'int32') : data,
            layout: mode === 'shared' ? 'shared' : 'members',
            shape: batchFirst(architecture.manifest.input.shape),
            dtype: architecture.manifest.input.dtype,
          },
        ],
      ]);
      for (const { index, id, layer, inputs } of architecture.layers) {
        const definition = opDefinition(layer.op);
        const read = inputs.map((name) => values.get(name) as TfjsGraphValue);
        if (definition.kind === 'tensor') {
          values.set(id, definition.tfjs({ tf, members, parameter, constant: constant(index), note }, layer, read));
          continue;
        }
        const x = read[0] as TfjsGraphValue;
        const context: TfjsLayerContext = {
          tf,
          members,
          batchedKernels: this.options.batchedKernels,
          split: (v) => this.split(v),
          parameter: (suffix) => parameter(`${layer.name}.${suffix}`),
          constant: constant(index),
          note,
          toMembers: (v) => toMembersValue(tf, members, v),
        };
        const out = definition.tfjs(context, layer, { t: x.t, layout: x.layout, sample: x.shape.slice(1) as number[] });
        values.set(id, { t: out.t, layout: out.layout, shape: [x.shape[0] as number, ...out.sample], dtype: 'float32' });
      }
      const output = tfjsGraphValueToMembers(tf, members, values.get(architecture.output) as TfjsGraphValue);
      // An own copy: backends may share buffers between tensors, and this one is transferred.
      return (output.t.dataSync() as Float32Array).slice();
    });
  }
}
