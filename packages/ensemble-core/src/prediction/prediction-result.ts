/**
 * The result of a prediction as tensors to write: the members' outputs, the
 * combined prediction and, when asked, the ensemble's uncertainty, named as
 * `RESULT_TENSORS` says. The worker stores them, the CLI writes or prints them.
 */

import { combineMembers } from '../combine/combine-members.js';
import { ensembleUncertainty } from '../combine/uncertainty.js';
import { float32Tensor, int64Tensor, type TensorToWrite } from '../safetensors/write-safetensors.js';
import type { Tensor } from '../tensor/tensor.js';
import type { PredictionRequestOptions } from './prediction-options.js';
import { UNCERTAINTY_TENSORS } from './result-tensors.js';

/** What the result depends on besides the member outputs: the combine options and whether to measure uncertainty. */
export type PredictionResultOptions = Pick<PredictionRequestOptions, 'combine' | 'weights' | 'uncertainty'>;

/** What the result depends on in the ensemble itself. */
export interface PredictionResultModel {
  /** True when the model ends in softmax: its outputs are probabilities already (see `EnsembleArchitecture`). */
  readonly outputsAreProbabilities: boolean;
}

/**
 * The result tensors of a prediction, from the stacked member outputs
 * `[N, B, ...out]`, in the order of `RESULT_TENSORS`: `members`, `combined`
 * (absent for `combine: 'none'`; I64 class indices for `vote`) and, with
 * `uncertainty`, `predictiveEntropy`, `expectedEntropy`, `mutualInformation`
 * and `disagreement`. Float tensors are views of the computed data, not copies.
 *
 * @throws CombineError when the options do not fit the members (see
 *   `checkPrediction`, which refuses them before any work is done).
 *
 * @example
 * ```ts
 * const members = await compiled.run(input, { mode: 'shared' }); // [10, 64, 10]
 * const tensors = predictionResult(members, { combine: 'mean-softmax', uncertainty: true }, architecture);
 * tensors.map((t) => t.name);
 * // → ['members', 'combined', 'predictiveEntropy', 'expectedEntropy', 'mutualInformation', 'disagreement']
 * writeSafetensors(tensors);
 * ```
 */
export function predictionResult(
  members: Tensor,
  options: PredictionResultOptions,
  { outputsAreProbabilities }: PredictionResultModel,
): TensorToWrite[] {
  const combined = combineMembers(members, {
    mode: options.combine,
    outputsAreProbabilities,
    ...(options.weights === undefined ? {} : { weights: options.weights }),
  });
  const tensors = [float32Tensor('members', members.shape, members.data)];
  if (combined.kind === 'classes') {
    const { shape, data } = combined.classes;
    const classes = new BigInt64Array(data.length);
    for (let i = 0; i < data.length; i++) classes[i] = BigInt(data[i] as number);
    tensors.push(int64Tensor('combined', shape, classes));
  } else if (combined.kind !== 'members') {
    tensors.push(float32Tensor('combined', combined.tensor.shape, combined.tensor.data));
  }
  if (options.uncertainty) {
    const uncertainty = ensembleUncertainty(members, { outputsAreProbabilities });
    for (const name of UNCERTAINTY_TENSORS) tensors.push(float32Tensor(name, uncertainty[name].shape, uncertainty[name].data));
  }
  return tensors;
}
