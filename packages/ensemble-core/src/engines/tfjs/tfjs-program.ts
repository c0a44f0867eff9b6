/**
 * A stacked ensemble compiled for TensorFlow.js: parameters uploaded once as
 * tensors, each op's TensorFlow.js form applied layer by layer inside
 * `tf.tidy`, so nothing but the kept parameters outlives a pass. Runs on the
 * engine's thread (see `tfjs-worker.ts`).
 */
import type * as tfjs from '@tensorflow/tfjs-core';
import { opDefinition } from '../../ops/index.js';
import { memberOf, type StackedEnsemble } from '../../stacking/stacked-ensemble.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { InputMode, Strategy } from '../engine.js';
import { type Tf, type TfjsLayerContext, type TfjsValue, toMembersValue } from './tfjs-value.js';

export interface TfjsProgramOptions {
  /** Whether the backend's batched matMul beats N 2-D products. */
  readonly batchedMatMul: boolean;
}

export class TfjsProgram {
  readonly notes = new Set<string>();
  private readonly parameters = new Map<string, tfjs.Tensor>();
  private readonly constants = new Map<string, tfjs.Tensor>();
  private memberPrograms: TfjsProgram[] | undefined;

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
    if (strategy === 'vectorized') return this.forward(input, mode);
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

  private forward(input: Tensor, mode: InputMode): Float32Array {
    const { tf } = this;
    const { architecture } = this.ensemble;
    const members = architecture.manifest.members;
    return tf.tidy(() => {
      let value: TfjsValue = {
        t: tf.tensor(input.data, [...input.shape]),
        layout: mode === 'shared' ? 'shared' : 'members',
        sample: architecture.manifest.input.shape,
      };
      for (const { index, layer } of architecture.layers) {
        const context: TfjsLayerContext = {
          tf,
          members,
          batchedMatMul: this.options.batchedMatMul,
          parameter: (suffix) => {
            const tensor = this.parameters.get(`${(layer as { name: string }).name}.${suffix}`);
            if (!tensor) throw new Error(`stacked parameter ${(layer as { name: string }).name}.${suffix} is missing`);
            return tensor;
          },
          constant: (key, build) => {
            const id = `${index}:${key}`;
            let tensor = this.constants.get(id);
            if (!tensor) {
              tensor = tf.keep(build());
              this.constants.set(id, tensor);
            }
            return tensor;
          },
          note: (message) => this.notes.add(message),
          toMembers: (x) => toMembersValue(tf, members, x),
        };
        value = opDefinition(layer.op).tfjs(context, layer, value);
      }
      // An own copy: backends may share buffers between tensors, and this one is transferred.
      return (toMembersValue(tf, members, value).t.dataSync() as Float32Array).slice();
    });
  }
}
