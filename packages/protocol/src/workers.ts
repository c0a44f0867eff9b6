/** What a live worker tells the system about itself (refreshed with every heartbeat), and `GET /v1/workers`' answer. */
import { z } from 'zod';

export const workerAnnouncementSchema = z
  .object({
    id: z.string(),
    host: z.string(),
    pid: z.number().int(),
    engine: z.string(),
    backend: z.string(),
    threads: z.number().int(),
    concurrency: z.number().int(),
    /** Ensemble versions it holds compiled. */
    versions: z.array(z.string()),
    /** Its compiled-ensemble cache: requests served from it, and versions loaded into it. */
    cache: z.object({ hits: z.number().int(), loads: z.number().int() }),
    startedAt: z.number().int(),
    heartbeatAt: z.number().int(),
  })
  .strict();
export type WorkerAnnouncement = z.infer<typeof workerAnnouncementSchema>;

export const workerListSchema = z.object({ workers: z.array(workerAnnouncementSchema) });
export type WorkerList = z.infer<typeof workerListSchema>;
