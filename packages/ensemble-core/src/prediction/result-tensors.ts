/**
 * The names and element types of the tensors a prediction's result holds:
 * the one naming every face uses (the stored result file, the REST API's
 * JSON, the Open Inference Protocol's outputs, the CLI's `--out` and `--json`).
 * The names and their order are the API's vocabulary (`@ensembles/protocol`);
 * this module says what each holds.
 */

import { type ResultTensorName, resultTensorNames } from '@ensembles/protocol';
import type { EnsembleUncertainty } from '../combine/uncertainty.js';
import type { SafetensorsDtype } from '../safetensors/dtypes.js';

/** What one result tensor may hold. */
export interface ResultTensorSpec {
  /** The dtypes it may be stored as. */
  readonly dtypes: readonly SafetensorsDtype[];
  /** Its shape, in the terms of the README (N members, batch B, per-sample output `out`). */
  readonly shape: string;
}

/**
 * Every tensor a prediction's result may hold, by name, in the order results
 * list them. `members` is always there; `combined` unless `combine: 'none'`;
 * the last four with `uncertainty` (entropies in nats, computed from each
 * member's softmax over the last axis, or its outputs as they are when the
 * model already ends in softmax).
 */
export const RESULT_TENSORS = {
  /** Every member's output, member axis first: `[N, B, ...out]`, F32. */
  members: { dtypes: ['F32'], shape: '[N, B, ...out]' },
  /**
   * The ensemble's prediction, `[B, ...out]`, F32 (`mean`, `weighted`,
   * `mean-softmax`); for `vote` the majority class per sample as I64,
   * `[B, ...out without its last axis]`.
   */
  combined: { dtypes: ['F32', 'I64'], shape: '[B, ...out] (vote: [B, ...out without its last axis])' },
  /** Entropy of the averaged member probabilities, per sample: the total uncertainty. F32. */
  predictiveEntropy: { dtypes: ['F32'], shape: '[B, ...out without its last axis]' },
  /** Average over members of each member's entropy: what members are unsure of on their own. F32. */
  expectedEntropy: { dtypes: ['F32'], shape: '[B, ...out without its last axis]' },
  /** `predictiveEntropy − expectedEntropy` (>= 0): the uncertainty that comes from members disagreeing. F32. */
  mutualInformation: { dtypes: ['F32'], shape: '[B, ...out without its last axis]' },
  /** Share of members (0..1) whose argmax differs from the ensemble's argmax. F32. */
  disagreement: { dtypes: ['F32'], shape: '[B, ...out without its last axis]' },
} as const satisfies { readonly [Name in ResultTensorName]: ResultTensorSpec };

export { type ResultTensorName, resultTensorNames };

/** The uncertainty tensors, one per measure of `ensembleUncertainty`, in the order results list them. */
export const UNCERTAINTY_TENSORS = [
  'predictiveEntropy',
  'expectedEntropy',
  'mutualInformation',
  'disagreement',
] as const satisfies readonly (keyof EnsembleUncertainty & ResultTensorName)[];

/** The name of an uncertainty tensor. */
export type UncertaintyTensorName = (typeof UNCERTAINTY_TENSORS)[number];

/**
 * True when `name` is a result tensor's name.
 *
 * @example
 * isResultTensorName('predictiveEntropy'); // true
 * isResultTensorName('predictive_entropy'); // false
 */
export function isResultTensorName(name: string): name is ResultTensorName {
  return Object.hasOwn(RESULT_TENSORS, name);
}
