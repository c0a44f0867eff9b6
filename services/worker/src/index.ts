/** The prediction worker, for embedding (the API's single-process mode, tests). */
export { EnsembleCache } from './ensemble-cache.js';
export { MicroBatcher } from './micro-batcher.js';
export { type PredictionWorker, type PredictionWorkerOptions, startPredictionWorker } from './prediction-worker.js';
export { parseWorkerConfig, type WorkerConfig, workerConfigSchema } from './worker-config.js';
