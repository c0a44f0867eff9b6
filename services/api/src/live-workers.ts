/** The live workers, read from their announcements in Redis (for `/v1/workers` and `/metrics`). */
import { WORKER_TTL_MS, type WorkerAnnouncement, workerAnnouncementSchema } from '@ensembles/jobs';
import type { AppContext } from './app-context.js';

export async function liveWorkers(context: AppContext): Promise<WorkerAnnouncement[]> {
  const ids = await context.redis.zrangebyscore(context.keys.workers, Date.now() - WORKER_TTL_MS, '+inf');
  const announcements = ids.length > 0 ? await context.redis.mget(ids.map((id) => context.keys.worker(id))) : [];
  return announcements.flatMap((json) => {
    const parsed = json ? workerAnnouncementSchema.safeParse(JSON.parse(json)) : undefined;
    return parsed?.success ? [parsed.data] : [];
  });
}
