/** The BullMQ queues of the system. */

/** Ensemble-prediction jobs: the API adds them, workers process them. */
export const PREDICTION_QUEUE = 'predictions';
