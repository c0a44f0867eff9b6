/**
 * @ensembles/client: a typed client for the deep-ensembles REST API, for
 * Node 20+ and browsers. The types of requests and answers are the API's
 * own (`@ensembles/protocol`), re-exported here for callers.
 */

export type {
  CombineMode,
  EnsembleDetail,
  EnsembleInfo,
  ErrorIssue,
  InputMode,
  JobStatus,
  JobView,
  PredictionResultJson,
  RegisteredEnsemble,
  ResultTensorJson,
  ResultTensorName,
  WorkerAnnouncement,
} from '@ensembles/protocol';
export type { FetchFunction } from './api-transport.js';
export {
  type CallOptions,
  type CompletedJob,
  EnsembleClient,
  type EnsembleClientOptions,
  type JobEvent,
  type PredictionInput,
  type PredictOptions,
  type SubmitOptions,
  type TensorInput,
  type WaitOptions,
} from './ensemble-client.js';
export type { EnsembleUpload, FileContent, ManifestContent } from './ensemble-upload.js';
export {
  ConnectionFailedError,
  EnsembleApiError,
  type EnsembleApiErrorDetails,
  EnsembleClientError,
  JobFailedError,
  UnexpectedAnswerError,
} from './errors.js';
export type { RetryOptions } from './retry-policy.js';
export { readServerSentEvents, type ServerSentEvent, ServerSentEventParser } from './server-sent-events.js';
