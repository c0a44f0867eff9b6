/**
 * One home for a prediction request and its result: the check every face runs
 * before any work, the result tensors (names, dtypes) and reading them back.
 */

export { checkPrediction } from './check-prediction.js';
export type { PredictionRequestOptions } from './prediction-options.js';
export { type PredictionResultModel, type PredictionResultOptions, predictionResult } from './prediction-result.js';
export { type Int64Tensor, type ResultTensors, readPredictionResult, type StoredPredictionResult } from './read-prediction-result.js';
export {
  isResultTensorName,
  RESULT_TENSORS,
  type ResultTensorName,
  type ResultTensorSpec,
  resultTensorNames,
  UNCERTAINTY_TENSORS,
  type UncertaintyTensorName,
} from './result-tensors.js';
