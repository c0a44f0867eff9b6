/**
 * A live worker's announcement, refreshed with every heartbeat: its schema is
 * the API's (`GET /v1/workers` shows it as it is, see `@ensembles/protocol`);
 * how often it is refreshed, and when it is too old, are said here.
 */
export { type WorkerAnnouncement, workerAnnouncementSchema } from '@ensembles/protocol';

/** A worker whose last heartbeat is older than this is not live. */
export const WORKER_HEARTBEAT_MS = 5_000;
export const WORKER_TTL_MS = 3 * WORKER_HEARTBEAT_MS;
