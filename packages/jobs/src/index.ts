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
export { CLUSTER_SLOTS, keySlot } from './key-slot.js';
export {
  type JobSettings,
  keptJobsPerShard,
  type PredictionJobData,
  type PredictionJobResult,
  predictionJobDataSchema,
  predictionJobOptions,
  predictionJobResultSchema,
  RESULT_SUMMARY_METADATA,
} from './prediction-job.js';
export { jobIdShard, MAX_QUEUE_SHARDS, PREDICTION_QUEUE, shardJobId, shardQueueName } from './queues.js';
export {
  checkRedisConnectionSettings,
  connectionOfKey,
  connectRedis,
  connectSubscriber,
  describeRedisTarget,
  type HostPort,
  hostListSetting,
  keyLayout,
  primaries,
  publishOn,
  type RedisClient,
  type RedisConnectionSettings,
  type RedisMode,
  redisConnectionSettings,
  redisMode,
  subscribeChannel,
} from './redis-connection.js';
export { type KeyLayout, type RedisKeys, type RedisKeysOptions, redisKeys, type ShardKeys, shardTag } from './redis-keys.js';
export { integerSetting, parseSettings, sharedSettings, systemKeys } from './shared-settings.js';
export { WORKER_HEARTBEAT_MS, WORKER_TTL_MS, type WorkerAnnouncement, workerAnnouncementSchema } from './worker-announcement.js';
