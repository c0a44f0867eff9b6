/**
 * The names of the tensors a prediction's result holds, in the order results
 * list them: the one naming every face uses (the REST API's JSON, the stored
 * result file, the Open Inference Protocol's outputs, the CLI). What each
 * holds, and its dtypes, is `@ensembles/core`'s `RESULT_TENSORS`, keyed by
 * these names.
 */
import type { ResultTensorJson } from './tensor-json.js';

/**
 * `members` always; `combined` unless `combine: 'none'`; the last four with
 * `uncertainty`.
 */
export const resultTensorNames = [
  'members',
  'combined',
  'predictiveEntropy',
  'expectedEntropy',
  'mutualInformation',
  'disagreement',
] as const;
/** The name of a result tensor. */
export type ResultTensorName = (typeof resultTensorNames)[number];

/** A completed job's result in JSON, by tensor name: `members` is always there, the others as the options asked. */
export type PredictionResultJson = { readonly members: ResultTensorJson } & {
  readonly [Name in Exclude<ResultTensorName, 'members'>]?: ResultTensorJson;
};
