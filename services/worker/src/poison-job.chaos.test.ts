/**
 * Poison jobs: one job among many that no worker can run, submitted with
 * them, ends failed after at most `JOB_ATTEMPTS` tries (no endless loop) while
 * the others complete: its stored input corrupt; its forward pass failing;
 * its forward pass crashing the worker process (which a supervisor starts
 * again); its forward pass never returning (the worker exits after
 * `PASS_TIMEOUT_MS`, and is started again). The pass faults are injected from outside the worker's code
 * (`testing/poison-pass.mjs`, preloaded with `node --import`).
 */
import { float32Tensor, randomInput, writeSafetensors } from '@ensembles/core';
import { type PrivateRedis, type ServiceProcess, startPrivateRedis } from '@ensembles/redis-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPredictionLane, type PredictionLane } from './testing/prediction-lane.js';

const MARK = -12345.5;
const hook = new URL('./testing/poison-pass.mjs', import.meta.url).href;
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

function markedInput(): Uint8Array {
  const input = randomInput([32, 256], 7);
  input.data[0] = MARK;
  return writeSafetensors([float32Tensor('input', input.shape, input.data)]);
}

/** 2 workers (started again whenever one dies, up to `restarts` times), 300 jobs, the poison one in the middle. */
async function runWithPoison(poison: () => Uint8Array, fault?: 'crash' | 'fail' | 'hang', restarts = 10) {
  const lane = await openPredictionLane(server.url, {
    JOB_ATTEMPTS: '3',
    WORKER_LOCK_MS: '2000',
    WORKER_STALLED_INTERVAL_MS: '1500',
    PASS_TIMEOUT_MS: '1500',
    ...(fault ? { NODE_OPTIONS: `--import=${hook}`, POISON_FAULT: fault, POISON_MARK: String(MARK) } : {}),
  });
  lanes.push(lane);
  const workers: ServiceProcess[] = [lane.startWorker(), lane.startWorker()];
  let deaths = 0;
  let supervising = true;
  const supervisor = (async () => {
    while (supervising) {
      for (const [i, worker] of workers.entries()) {
        if (!worker.running && deaths < restarts) {
          deaths++;
          workers[i] = lane.startWorker();
        }
      }
      await sleep(100);
    }
  })();
  const poisonIndex = 150;
  const started = Date.now();
  const ids = await lane.submit(300, { rows: 32, attempts: 3, input: (i) => (i === poisonIndex ? poison() : undefined) });
  try {
    await lane.waitForAll(ids, 120_000);
  } finally {
    supervising = false;
    await supervisor;
  }
  const outcomes = await lane.outcomes(ids);
  const poisoned = outcomes[poisonIndex] as (typeof outcomes)[number];
  const others = outcomes.filter((_, i) => i !== poisonIndex);
  const tally: Record<string, number> = {};
  for (const o of others) tally[o.state] = (tally[o.state] ?? 0) + 1;
  console.info(
    JSON.stringify({
      fault: fault ?? 'corrupt input',
      poison: { state: poisoned.state, taken: poisoned.started, attemptsMade: poisoned.attemptsMade, reason: poisoned.failedReason },
      others: tally,
      workerDeaths: deaths,
      runMs: Date.now() - started,
    }),
  );
  for (const worker of workers) await worker.kill('SIGTERM');
  return { poisoned, others, deaths };
}

describe('a poison job', () => {
  it('with corrupt input bytes fails at once, alone', async () => {
    const { poisoned, others } = await runWithPoison(() => Buffer.from('not a safetensors file at all'));
    // Unreadable bytes stay unreadable: it fails at its first attempt.
    expect(poisoned).toMatchObject({ state: 'failed', started: 1, attemptsMade: 1 });
    expect(poisoned.failedReason).toMatch(/unreadable/);
    expect(others.filter((o) => o.state !== 'completed')).toEqual([]);
  }, 180_000);

  it('whose forward pass fails ends failed after its attempts; its batch neighbours complete', async () => {
    const { poisoned, others } = await runWithPoison(markedInput, 'fail');
    expect(poisoned).toMatchObject({ state: 'failed', attemptsMade: 3 });
    expect(poisoned.failedReason).toMatch(/poisoned/);
    expect(others.filter((o) => o.state !== 'completed')).toEqual([]);
  }, 180_000);

  it.each(['crash', 'hang'] as const)(
    'whose pass makes every worker taking it %s ends failed after JOB_ATTEMPTS dead workers; the others complete',
    async (fault) => {
      const { poisoned, others, deaths } = await runWithPoison(markedInput, fault);
      expect(poisoned.state).toBe('failed');
      expect(poisoned.failedReason).toMatch(/stalled/);
      expect(deaths).toBe(3);
      expect(others.filter((o) => o.state !== 'completed').map((o) => `${o.state} after ${o.started} takes: ${o.failedReason}`)).toEqual(
        [],
      );
    },
    180_000,
  );
});
