/**
 * @ensembles/protocol: the HTTP API's vocabulary and messages, as zod
 * schemas and the types inferred from them. The API validates and documents
 * with them, the workers and the engines take the modes from them, and the
 * client is typed by them. zod only: it runs in Node and in browsers.
 */

export {
  type EnsembleDetail,
  type EnsembleInfo,
  type EnsembleList,
  ensembleDetailSchema,
  ensembleInfoSchema,
  ensembleListSchema,
  type RegisteredEnsemble,
  registeredEnsembleSchema,
} from './ensemble-info.js';
export {
  type BareErrorBody,
  bareErrorBodySchema,
  type ErrorBody,
  type ErrorIssue,
  errorBodySchema,
  MAX_LISTED_ISSUES,
} from './error-body.js';
export { type JobErrorEvent, type JobEventName, jobErrorEventSchema, jobEventNames } from './job-events.js';
export { type JobStatus, type JobView, jobStatuses, jobViewSchema } from './job-view.js';
export { type CombineMode, combineModes, type InputMode, inputModes } from './modes.js';
export {
  type PredictionOptions,
  type PredictionRequest,
  predictionOptionsSchema,
  predictionRequestSchema,
} from './prediction-options.js';
export { type PredictionResultJson, type ResultTensorName, resultTensorNames } from './result-tensors.js';
export {
  FLOAT32_MAX,
  float32Value,
  type ResultTensorJson,
  resultTensorJsonSchema,
  type TensorJson,
  tensorJsonSchema,
} from './tensor-json.js';
export { type WorkerAnnouncement, type WorkerList, workerAnnouncementSchema, workerListSchema } from './workers.js';
