/**
 * Workers killed in the middle of their work: 1,000 micro-batched jobs on two
 * worker processes, one of them SIGKILLed every couple of seconds (and
 * started again, as a supervisor would). Every job completes, each with one
 * result, none is left active or failed; the killed worker's jobs are taken
 * by another once their locks expire. And SIGTERM drains: the jobs in
 * flight finish, no new one starts, the process exits 0.
 */
import { type PrivateRedis, type ServiceProcess, startPrivateRedis } from '@ensembles/redis-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPredictionLane, type PredictionLane } from './testing/prediction-lane.js';

const LOCK_MS = 2500;
const STALLED_INTERVAL_MS = 2000;
const ATTEMPTS = 5;
const tally = (values: readonly string[]) => {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let server: PrivateRedis;
const lanes: PredictionLane[] = [];

beforeAll(async () => {
  server = await startPrivateRedis();
});

afterAll(async () => {
  for (const lane of lanes) await lane.close();
  await server?.stop();
});

/**
 * Milliseconds from `at` (a kill) until none of `held` is still held by the dead worker `pid`: its locks
 * expired and a stalled-job check gave them back to the queue (or another worker has taken them since).
 */
async function releasedAfter(lane: PredictionLane, pid: number, held: readonly string[], at: number): Promise<number> {
  let left = [...held];
  while (left.length > 0 && Date.now() - at < 60_000) {
    const jobs = await Promise.all(left.map((id) => lane.queue.getJob(id)));
    const states = await Promise.all(jobs.map((job) => job?.getState()));
    left = left.filter((_, i) => states[i] === 'active' && jobs[i]?.processedBy?.endsWith(`:${pid}`));
    if (left.length > 0) await sleep(100);
  }
  return Date.now() - at;
}

describe('workers killed under load', () => {
  it('SIGKILL, again and again: every job completes once, none is lost, stuck or failed', async () => {
    // A job outlives JOB_ATTEMPTS - 1 workers dying while they hold it; 8 kills in a few seconds may catch one job thrice.
    const lane = await openPredictionLane(server.url, {
      WORKER_LOCK_MS: String(LOCK_MS),
      WORKER_STALLED_INTERVAL_MS: String(STALLED_INTERVAL_MS),
      JOB_ATTEMPTS: String(ATTEMPTS),
    });
    lanes.push(lane);
    const workers: ServiceProcess[] = [lane.startWorker(), lane.startWorker()];
    const ids = await lane.submit(1000, { rows: 32, attempts: ATTEMPTS });
    const started = Date.now();

    // Each time another tenth of the jobs has completed (up to 8 times), kill the worker that holds the most jobs.
    const kills: { at: number; pid: number; held: string[] }[] = [];
    const released: Promise<number>[] = [];
    while (kills.length < 8) {
      const { completed = 0, failed = 0 } = await lane.queue.getJobCounts('completed', 'failed');
      if (completed + failed >= ids.length) break;
      if (completed < (ids.length / 10) * (kills.length + 1)) {
        await sleep(50);
        continue;
      }
      const held = await Promise.all(workers.map((worker) => lane.activeOf(worker.pid)));
      const index = (held[0]?.length ?? 0) >= (held[1]?.length ?? 0) ? 0 : 1;
      const victim = workers[index] as ServiceProcess;
      const at = Date.now();
      await victim.kill('SIGKILL');
      kills.push({ at, pid: victim.pid, held: held[index] ?? [] });
      released.push(releasedAfter(lane, victim.pid, held[index] ?? [], at));
      workers[index] = lane.startWorker();
    }
    await lane.waitForAll(ids, 180_000);
    const releasedMs = await Promise.all(released);
    const runMs = Date.now() - started;

    const outcomes = await lane.outcomes(ids);
    const byId = new Map(outcomes.map((o) => [o.id, o]));
    // How many killed workers held each job when they died.
    const deaths = new Map<string, number>();
    for (const { held } of kills) for (const id of held) deaths.set(id, (deaths.get(id) ?? 0) + 1);
    expect(
      outcomes
        .filter((o) => o.state !== 'completed')
        .map((o) => `${o.state} after ${o.started} takes and ${deaths.get(o.id) ?? 0} workers killed holding it: ${o.failedReason}`),
    ).toEqual([]);
    expect(outcomes.filter((o) => !o.hasResult)).toEqual([]);
    const counts = await lane.queue.getJobCounts('completed', 'failed', 'active', 'wait', 'delayed');
    expect(counts).toMatchObject({ completed: ids.length, failed: 0, active: 0, wait: 0, delayed: 0 });
    expect(kills.length).toBe(8);

    // Each killed worker's jobs were finished by another (recovery: from the kill to the last of them completing,
    // counting only the jobs no later kill caught again).
    const recoveries = kills.map(({ at, pid, held }, k) => {
      const later = new Set(kills.slice(k + 1).flatMap((kill) => kill.held));
      const finished = held.map((id) => byId.get(id) as (typeof outcomes)[number]).filter((o) => (o.finishedOn ?? 0) > at);
      for (const o of finished) expect(o.completedBy?.endsWith(`:${pid}`)).toBe(false);
      const recovered = finished.filter((o) => !later.has(o.id));
      return { held: held.length, retaken: finished.length, recoveryMs: Math.max(0, ...recovered.map((o) => (o.finishedOn ?? at) - at)) };
    });
    for (const { recoveryMs } of recoveries) expect(recoveryMs).toBeLessThan(60_000);
    for (const ms of releasedMs) expect(ms).toBeLessThan(30_000);
    // A result computed by a killed worker and reused by the one that completed the job (no second pass).
    const reused = outcomes.filter((o) => o.computedBy !== o.completedBy).length;
    console.info(
      JSON.stringify({
        jobs: ids.length,
        runMs,
        kills: kills.length,
        recoveries,
        releasedMs,
        takenTimes: tally(outcomes.map((o) => String(o.started))),
        workersKilledHoldingIt: tally(ids.map((id) => String(deaths.get(id) ?? 0))),
        resultsReused: reused,
        lockMs: LOCK_MS,
        stalledIntervalMs: STALLED_INTERVAL_MS,
        jobAttempts: ATTEMPTS,
      }),
    );
    for (const worker of workers) await worker.kill('SIGTERM');
  }, 240_000);
});

describe('a worker stopped with SIGTERM', () => {
  it('finishes the jobs in flight, starts no new one, and exits 0', async () => {
    const lane = await openPredictionLane(server.url);
    lanes.push(lane);
    const worker = lane.startWorker({ LOG_LEVEL: 'info' });
    const ids = await lane.submit(400, { rows: 32 });
    while (((await lane.queue.getJobCounts('completed')).completed ?? 0) < 40) await sleep(20);
    const inFlight = await lane.activeOf(worker.pid);
    const at = Date.now();
    const exitCode = await worker.kill('SIGTERM');
    const stoppedMs = Date.now() - at;
    expect(exitCode).toBe(0);
    expect(inFlight.length).toBeGreaterThan(0);

    const outcomes = await lane.outcomes(ids);
    const byId = new Map(outcomes.map((o) => [o.id, o]));
    // The jobs in flight completed, each once, with its result.
    for (const id of inFlight) expect(byId.get(id)).toMatchObject({ state: 'completed', started: 1, hasResult: true });
    // None started after the worker took the signal (its `stopping` log line: a batch fetched between the
    // signal's sending and its handling is in flight too); the rest wait, untouched, for another worker.
    const stoppingAt = stoppingTime(worker.output());
    expect(stoppingAt).toBeGreaterThanOrEqual(at);
    const jobs = await Promise.all(ids.map((id) => lane.queue.getJob(id)));
    const startedLate = jobs.filter((job) => (job?.processedOn ?? 0) > stoppingAt).map((job) => job?.id);
    expect(startedLate).toEqual([]);
    const counts = await lane.queue.getJobCounts('completed', 'failed', 'active', 'wait', 'delayed');
    expect(counts).toMatchObject({ failed: 0, active: 0, delayed: 0 });
    expect(counts.wait).toBeGreaterThan(0);
    expect((counts.completed ?? 0) + (counts.wait ?? 0)).toBe(ids.length);
    for (const o of outcomes) expect(o.started).toBe(o.state === 'completed' ? 1 : 0);
    console.info(JSON.stringify({ inFlight: inFlight.length, stoppedMs, completed: counts.completed, waiting: counts.wait }));
  }, 120_000);
});

/** When the worker logged that it was stopping (pino's `time`, epoch ms), from its output. */
function stoppingTime(output: string): number {
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as { msg?: string; time?: number };
    if (entry.msg?.startsWith('stopping') && entry.time !== undefined) return entry.time;
  }
  throw new Error(`the worker logged no 'stopping' line:\n${output}`);
}
