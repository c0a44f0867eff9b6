/**
 * A job's server-sent events (`GET /v1/jobs/{id}/events`): `event: status`
 * with the job view each time its status changes, until it completes or
 * fails; `event: error` when the stream ends without that (the job was
 * cancelled or has expired, or reading it failed).
 */
import { z } from 'zod';

/** The names of a job stream's events. */
export const jobEventNames = ['status', 'error'] as const;
export type JobEventName = (typeof jobEventNames)[number];

/** The data of an `error` event. `status` events carry the job view (`jobViewSchema`). */
export const jobErrorEventSchema = z.object({ error: z.string() });
export type JobErrorEvent = z.infer<typeof jobErrorEventSchema>;
