/**
 * A Redis primary lost under load, with Sentinel: a primary, a replica and
 * three Sentinels (`redis-server --sentinel`), an API process and two workers
 * (their built `main.js`) with `REDIS_SENTINELS`. Clients submit without
 * pause, each request under an `Idempotency-Key` of its own and tried again
 * until answered 202. The replica falls behind (its link to the primary is
 * cut and it is frozen for 0.8 s, as a congested network or a busy replica
 * would leave it), then the primary is SIGKILLed: the writes of those 0.8 s
 * exist on the primary alone. The Sentinels promote the replica, the killed
 * server comes back as a replica of the new primary (after Redis' default
 * `repl-diskless-sync-delay` of 5 s, it is in sync again), and the API and the
 * workers carry on without restarts. Counted: requests
 * accepted (202), their jobs completed, lost (acknowledged, then gone with
 * the primary: replication is asynchronous) and duplicated (run more than
 * once, or a second job for one request), without `REDIS_WAIT_REPLICAS` and
 * with it (`WAIT` for one replica before answering 202: none lost).
 */
import { redisKeys } from '@ensembles/jobs';
import { type PrivateSentinelGroup, startPrivateSentinelGroup } from '@ensembles/redis-testing';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { fetchJobStatus, type ServiceStackOn, startServiceStackOn } from './testing/service-stack.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const CLIENTS = 8;

let group: PrivateSentinelGroup | undefined;
let stack: ServiceStackOn | undefined;
afterEach(async () => {
  await stack?.stop();
  await group?.stop();
  stack = undefined;
  group = undefined;
});

/** One request as a client made it: its key, the job it was answered 202 with, and every job id an answer named. */
interface Request {
  readonly key: string;
  accepted: string | undefined;
  acceptedAt: number;
  readonly jobs: Set<string>;
  tries: number;
  /** The last answer that was not a 202: its status and error code. */
  lastRefusal?: string;
}

/** `clients` loops, each making requests one after another, every one tried again (same key) until answered 202. */
function load(base: string, clients: number) {
  const requests: Request[] = [];
  let running = true;
  let next = 0;
  const loops = Array.from({ length: clients }, async () => {
    while (running) {
      const request: Request = { key: `request-${next++}`, accepted: undefined, acceptedAt: 0, jobs: new Set(), tries: 0 };
      requests.push(request);
      for (const deadline = Date.now() + 30_000; Date.now() < deadline && request.accepted === undefined; ) {
        request.tries++;
        try {
          const response = await fetch(`${base}/v1/ensembles/tiny/predictions`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'idempotency-key': request.key },
            body: JSON.stringify({ input: { shape: [1, 3], data: [1, 2, 3] } }),
            signal: AbortSignal.timeout(10_000),
          });
          const body = (await response.json()) as { id?: string; error?: { message?: string } };
          if (response.status === 202 && body.id) {
            request.accepted = body.id;
            request.acceptedAt = Date.now();
            request.jobs.add(body.id);
            break;
          }
          // A 503 REDIS_NOT_REPLICATED names the job it wrote.
          const named = /job ([0-9a-f-]{36})/.exec(body.error?.message ?? '')?.[1];
          if (named) request.jobs.add(named);
          request.lastRefusal = `${response.status} ${body.error?.message ?? ''}`;
        } catch (error) {
          // no answer: tried again
          request.lastRefusal = `no answer: ${(error as Error).message}`;
        }
        await sleep(50);
      }
    }
  });
  return {
    requests,
    /** Resolves once a request made after `since` has been answered 202. */
    async acceptedSince(since: number, timeoutMs: number): Promise<void> {
      for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(50)) {
        if (requests.some((request) => request.accepted !== undefined && request.acceptedAt > since)) return;
      }
      const refusals = [...new Set(requests.filter((request) => request.accepted === undefined).map((request) => request.lastRefusal))];
      throw new Error(`no request was accepted within ${timeoutMs} ms; the last refusals: ${refusals.join(' | ')}`);
    },
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

/** Polls each id until it is completed, failed or gone (404), or `timeoutMs` passes. */
async function settle(base: string, ids: readonly string[], timeoutMs: number): Promise<Map<string, string>> {
  const statuses = new Map<string, string>();
  let open = [...ids];
  for (const deadline = Date.now() + timeoutMs; open.length > 0 && Date.now() < deadline; ) {
    for (let i = 0; i < open.length; i += 50) {
      const batch = open.slice(i, i + 50);
      const found = await Promise.all(batch.map((id) => fetchJobStatus(base, id)));
      for (const [j, id] of batch.entries()) statuses.set(id, found[j] as string);
    }
    open = open.filter((id) => !['completed', 'failed', '404'].includes(statuses.get(id) as string));
    if (open.length > 0) await sleep(250);
  }
  return statuses;
}

describe.each([
  { waitReplicas: 0, label: 'without WAIT' },
  { waitReplicas: 1, label: 'with WAIT for one replica' },
])('a primary SIGKILLed under load, $label', ({ waitReplicas, label }) => {
  it('fails over to the replica; the API and the workers carry on without restarts', async () => {
    group = await startPrivateSentinelGroup({ replicas: 1, sentinels: 3, downAfterMs: 1000 });
    stack = await startServiceStackOn(
      { REDIS_SENTINELS: group.sentinelsSetting, REDIS_SENTINEL_MASTER: group.masterName },
      {
        workers: 2,
        env: {
          // A job whose worker's completion was lost with the primary is retaken within seconds.
          WORKER_LOCK_MS: '3000',
          WORKER_STALLED_INTERVAL_MS: '2000',
          JOB_ATTEMPTS: '5',
          REDIS_WAIT_REPLICAS: String(waitReplicas),
          REDIS_WAIT_TIMEOUT_MS: '500',
        },
      },
    );
    const { base } = stack;
    const traffic = load(base, CLIENTS);
    const loadedAt = Date.now();
    await sleep(3000);

    const primary = await group.primaryPort();
    const replica = group.serverPorts.find((port) => port !== primary) as number;
    // The replica falls behind: frozen, its link cut (what the primary had buffered for it goes); 0.8 s of writes on the primary alone.
    const laggedAt = Date.now();
    group.pause(replica);
    await group.cli(primary, 'client', 'kill', 'type', 'replica');
    await sleep(800);
    const killedAt = Date.now();
    await group.crash(primary);
    group.resume(replica);
    let promoted = primary;
    while (promoted === primary) {
      if (Date.now() - killedAt > 60_000) {
        const view = await group.cli(group.sentinelPorts[0] as number, 'sentinel', 'replicas', group.masterName);
        throw new Error(`the Sentinels promoted no replica within 60 s; a Sentinel's view of the replicas:\n${view}`);
      }
      await sleep(100);
      promoted = await group.primaryPort();
    }
    const promotedMs = Date.now() - killedAt;
    expect(promoted).toBe(replica);
    // The killed server comes back, as a replica of the new primary (what the Sentinels would make of it anyway).
    await group.restart(primary, promoted);
    await traffic.acceptedSince(killedAt + promotedMs, 30_000).catch(async (error: Error) => {
      const replication = await Promise.all(
        group?.serverPorts.map(async (port) => `${port}: ${(await group?.cli(port, 'info', 'replication'))?.replace(/\r?\n/g, ' ')}`) ?? [],
      );
      throw new Error(`${error.message}\n${replication.join('\n')}\nthe API's last output:\n${stack?.api.output().slice(-3000)}`);
    });
    await sleep(3000);
    await traffic.stop();

    const { requests } = traffic;
    const accepted = requests.filter((request) => request.accepted !== undefined);
    const acceptedAfter = accepted.filter((request) => request.acceptedAt > killedAt + promotedMs);
    const firstAfter = Math.min(...acceptedAfter.map((request) => request.acceptedAt)) - killedAt;
    const allJobs = [...new Set(requests.flatMap((request) => [...request.jobs]))];
    const statuses = await settle(base, allJobs, 60_000);
    const statusOf = (id: string) => statuses.get(id) as string;
    const completed = accepted.filter((request) => statusOf(request.accepted as string) === 'completed');
    const lost = accepted.filter((request) => statusOf(request.accepted as string) === '404');
    const stuck = accepted.filter((request) => !['completed', '404'].includes(statusOf(request.accepted as string)));
    // A second job for one request: an earlier try's job, written before the claim of its key was lost, completed too.
    const twoJobs = requests.filter((request) => [...request.jobs].filter((id) => statusOf(id) === 'completed').length > 1);
    // Run more than once: a worker's completion lost with the primary, the job taken again after its lock.
    const admin = new Redis({ sentinels: group.sentinelPorts.map((port) => ({ host: '127.0.0.1', port })), name: group.masterName });
    const queue = redisKeys('chaos').predictionQueue;
    const started = await Promise.all(completed.map((request) => admin.hget(`${queue}:${request.accepted}`, 'ats')));
    admin.disconnect();
    const ranTwice = started.filter((count) => Number(count) > 1).length;
    const retried = requests.filter((request) => request.tries > 1).length;
    const steadyRate = (accepted.filter((request) => request.acceptedAt < laggedAt).length * 1000) / (laggedAt - loadedAt);

    process.stdout.write(
      `failover ${label}: ${requests.length} requests, ${accepted.length} accepted (202), ${completed.length} completed, ` +
        `${lost.length} lost, ${stuck.length} neither; duplicated: ${ranTwice} run twice, ${twoJobs.length} with a second job; ` +
        `${retried} requests needed more than one try; ${Math.round(steadyRate)} accepted/s before the replica fell behind; ` +
        `replica promoted ${promotedMs} ms after the kill, ` +
        `first 202 after it ${firstAfter} ms after the kill; ${acceptedAfter.length} accepted after the promotion\n`,
    );

    // Nothing was restarted, and the service took and completed requests after the failover.
    expect(stack.api.running).toBe(true);
    expect(stack.workers.every((worker) => worker.running)).toBe(true);
    expect(acceptedAfter.length).toBeGreaterThan(20);
    expect(stuck).toEqual([]);
    expect(completed.length + lost.length).toBe(accepted.length);
    if (waitReplicas > 0) expect(lost).toEqual([]);
  });
});
