/**
 * @ensembles/jobs: the contract between the API and the workers, in one
 * place so that they cannot drift.
 */

export {
  type CompletedJob,
  type CompletionNotice,
  type CompletionStatus,
  completedJobSchema,
  encodeCompletionNotice,
  NOTICE_MAX_CHARS,
  parseCompletionNotice,
} from './completion-notice.js';
export {
  decodeInlineInput,
  decodeInlineResult,
  encodeInlineInput,
  encodeInlineResult,
  inlineInputMismatch,
  travelsInline,
} from './job-tensors.js';
export {
  type JobSettings,
  type PredictionJobData,
  type PredictionJobResult,
  predictionJobDataSchema,
  predictionJobOptions,
  predictionJobResultSchema,
  RESULT_SUMMARY_METADATA,
} from './prediction-job.js';
export { PREDICTION_QUEUE } from './queues.js';
export { type RedisKeys, redisKeys } from './redis-keys.js';
export { integerSetting, parseSettings, sharedSettings } from './shared-settings.js';
export { WORKER_HEARTBEAT_MS, WORKER_TTL_MS, type WorkerAnnouncement, workerAnnouncementSchema } from './worker-announcement.js';
