/**
 * Redis faults under load, against the deployed processes (an API and two
 * workers on a private `redis-server`): Redis killed (SIGKILL) and started
 * again from its append-only file, with `appendfsync always` (every job
 * acknowledged with 202 completes) and `everysec` (the jobs lost in the last
 * second before the crash are counted); submissions while Redis is down get
 * 503 quickly; and every client connection killed every few seconds. The API
 * and the workers are never restarted.
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { type ServiceStack, type Submission, startServiceStack } from './testing/service-stack.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const workerSettings = { WORKER_LOCK_MS: '3000', WORKER_STALLED_INTERVAL_MS: '2000' };

let stack: ServiceStack | undefined;
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

interface Sent extends Submission {
  /** When it was answered (ms since the epoch). */
  readonly at: number;
}

/** `clients` loops submitting predictions until `stop()`; every answer is kept. */
function loadOf(target: ServiceStack, clients: number) {
  const sent: Sent[] = [];
  let running = true;
  const loops = Array.from({ length: clients }, async () => {
    while (running) {
      const answer = await target.submit();
      sent.push({ ...answer, at: Date.now() });
      if (answer.status !== 202) await sleep(20);
    }
  });
  return {
    sent,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const round = (ms: number) => Math.round(ms);

async function waitUntilReady(target: ServiceStack, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    const ok = await fetch(`${target.base}/v2/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return Date.now() - started;
    await sleep(50);
  }
  throw new Error(`the API was not ready again within ${timeoutMs} ms`);
}

describe.each([
  ['always', true],
  ['everysec', false],
] as const)('Redis killed and restarted (AOF, appendfsync %s)', (fsync, lossless) => {
  it(`${lossless ? 'loses no acknowledged job' : 'loses at most the last second'}, answers 503 at once while down, and recovers alone`, async () => {
    stack = await startServiceStack({ redisArgs: ['--appendonly', 'yes', '--appendfsync', fsync], env: workerSettings });
    const workerPids = stack.workers.map((w) => w.pid);
    const load = loadOf(stack, 4);
    await sleep(3000);
    const downAt = Date.now();
    await stack.redis.crash();
    await sleep(2000);
    const upAt = Date.now();
    await stack.redis.restart();
    const readyMs = await waitUntilReady(stack, 30_000);
    await sleep(2000);
    await load.stop();

    const accepted = load.sent.filter((s) => s.status === 202).map((s) => s.id as string);
    const statuses = await stack.settle(accepted, 90_000);
    const byStatus: Record<string, number> = {};
    for (const status of statuses.values()) byStatus[status] = (byStatus[status] ?? 0) + 1;
    const lost = load.sent.filter((s) => s.status === 202 && statuses.get(s.id as string) === '404');
    // While Redis was down (from the kill to its restart): every answer a quick 503, never a hang or a 500.
    const whileDown = load.sent.filter((s) => s.at - s.ms > downAt + 100 && s.at < upAt);
    const answered: Record<string, number> = {};
    for (const s of load.sent) answered[s.status] = (answered[s.status] ?? 0) + 1;
    console.info(
      JSON.stringify({
        fsync,
        submitted: load.sent.length,
        answered,
        accepted: accepted.length,
        outcomes: byStatus,
        lost: lost.length,
        lostAckedBeforeCrashMs: lost.map((s) => downAt - s.at),
        whileDown: {
          submissions: whileDown.length,
          medianMs: round(median(whileDown.map((s) => s.ms))),
          maxMs: round(Math.max(0, ...whileDown.map((s) => s.ms))),
        },
        readyAfterRestartMs: readyMs,
      }),
    );

    expect(whileDown.length).toBeGreaterThan(0);
    expect(whileDown.filter((s) => s.status !== 503)).toEqual([]);
    for (const s of whileDown) expect(s.ms).toBeLessThan(5000);
    expect(load.sent.filter((s) => s.status === 500)).toEqual([]);
    // Accepted after the restart too: the API and the workers reconnected by themselves.
    expect(load.sent.filter((s) => s.status === 202 && s.at > upAt + readyMs).length).toBeGreaterThan(0);
    expect(stack.workers.map((w) => (w.running ? w.pid : -1))).toEqual(workerPids);
    expect(stack.api.running).toBe(true);
    // Every acknowledged job that survived completed; none is left queued, active or failed.
    expect(byStatus.completed ?? 0).toBe(accepted.length - lost.length);
    if (lossless) expect(lost).toEqual([]);
    // Lost jobs can only be those acknowledged just before the crash (everysec: about a second of writes).
    for (const s of lost) expect(downAt - s.at).toBeLessThan(5000);
  }, 180_000);
});

describe('client connections killed under load', () => {
  it('loses no job and leaves none active', async () => {
    // Every accepted job is looked up at the end: keep them all (by default only the newest 10,000 are kept).
    stack = await startServiceStack({ env: { ...workerSettings, RESULT_KEEP_JOBS: '1000000' } });
    const admin = new Redis(stack.redis.url);
    const load = loadOf(stack, 4);
    let killed = 0;
    for (let round = 0; round < 6; round++) {
      await sleep(2000);
      // Every normal client (the API's, the workers', BullMQ's blocking ones) but this one; then the pub/sub ones.
      killed += Number(await admin.call('CLIENT', 'KILL', 'TYPE', round % 2 === 0 ? 'normal' : 'pubsub'));
      if (round % 2 === 1) killed += Number(await admin.call('CLIENT', 'KILL', 'TYPE', 'normal'));
    }
    await sleep(2000);
    await load.stop();

    const accepted = load.sent.filter((s) => s.status === 202).map((s) => s.id as string);
    const statuses = await stack.settle(accepted, 90_000);
    const byStatus: Record<string, number> = {};
    for (const status of statuses.values()) byStatus[status] = (byStatus[status] ?? 0) + 1;
    const answered: Record<string, number> = {};
    for (const s of load.sent) answered[s.status] = (answered[s.status] ?? 0) + 1;
    const jobs = (await admin.call('ZCARD', 'chaos:bull:predictions:completed')) as number;
    const active = (await admin.call('LLEN', 'chaos:bull:predictions:active')) as number;
    console.info(
      JSON.stringify({
        connectionsKilled: killed,
        submitted: load.sent.length,
        answered,
        accepted: accepted.length,
        outcomes: byStatus,
        active,
      }),
    );
    admin.disconnect();

    expect(killed).toBeGreaterThan(0);
    expect(byStatus).toEqual({ completed: accepted.length });
    expect(active).toBe(0);
    expect(jobs).toBeGreaterThanOrEqual(accepted.length);
    expect(load.sent.filter((s) => s.status === 500)).toEqual([]);
    expect(stack.workers.every((w) => w.running)).toBe(true);
  }, 180_000);
});
