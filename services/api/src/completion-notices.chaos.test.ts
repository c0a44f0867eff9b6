/**
 * Completion notices when their connection fails: workers notify the API
 * process that waits for a job on its own Pub/Sub channel, which is at most
 * once. Here the API's notification connection is killed while requests
 * wait: without pause while a worker completes their jobs, then every
 * 700 ms under load. Every waiting request must still be answered with its
 * completed job when the job completes, not when its 30-second wait runs
 * out (a lost notice would hold it that long), and each job completes once.
 * The API and the workers are never restarted.
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { type ServiceStack, startServiceStack } from './testing/service-stack.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const WAIT_SECONDS = 30;

let stack: ServiceStack | undefined;
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

/** Kills the API's notification connections (the only Pub/Sub clients here); how many were killed. */
async function killNotifications(redis: Redis): Promise<number> {
  return Number(await redis.call('CLIENT', 'KILL', 'TYPE', 'pubsub'));
}

/** Kills them every `everyMs` until `stop()`; how many it killed. */
function keepKilling(redis: Redis, everyMs: number) {
  let running = true;
  let kills = 0;
  const loop = (async () => {
    while (running) {
      kills += await killNotifications(redis);
      await sleep(everyMs);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return kills;
    },
  };
}

/** Jobs completed in the queue: as many as the answers when no job was added twice or lost. */
const completedJobs = (redis: Redis) => redis.zcard('chaos:bull:predictions:completed');

/** Answers by status; `late`: answered only when its wait had run out. */
function tally(answers: readonly { status: string; ms: number }[]) {
  const counts: Record<string, number> = {};
  for (const { status } of answers) counts[status] = (counts[status] ?? 0) + 1;
  const late = answers.filter(({ ms }) => ms >= WAIT_SECONDS * 1000).length;
  const slowest = Math.max(...answers.map(({ ms }) => ms));
  return { counts, late, slowest: Math.round(slowest) };
}

describe('completion notices when the API loses its notification connection', () => {
  it('answers every waiting request when its job completes while the connection keeps being killed', async () => {
    stack = await startServiceStack({ workers: 0 });
    const redis = new Redis(stack.redis.url);
    try {
      const waiting = Array.from({ length: 40 }, () => stack?.submitAndWait(WAIT_SECONDS) as Promise<{ status: string; ms: number }>);
      await sleep(500);
      const killing = keepKilling(redis, 2);
      stack.addWorker();
      const answers = await Promise.all(waiting);
      const kills = await killing.stop();
      const { counts, late, slowest } = tally(answers);
      console.log(
        `40 waits, ${kills} notification connections killed while their jobs ran: ${JSON.stringify(counts)}, slowest ${slowest} ms`,
      );
      expect(kills).toBeGreaterThan(0);
      expect(counts).toEqual({ completed: 40 });
      expect(late).toBe(0);
      expect(await completedJobs(redis)).toBe(40);
    } finally {
      redis.disconnect();
    }
  });

  it('answers every waiting request under load while the connection is killed every 700 ms', async () => {
    stack = await startServiceStack({ workers: 2 });
    const redis = new Redis(stack.redis.url);
    try {
      const killing = keepKilling(redis, 700);
      const answers: { status: string; ms: number }[] = [];
      const started = Date.now();
      const clients = Array.from({ length: 16 }, async () => {
        while (Date.now() - started < 8_000) answers.push((await stack?.submitAndWait(WAIT_SECONDS)) as { status: string; ms: number });
      });
      await Promise.all(clients);
      const kills = await killing.stop();
      const { counts, late, slowest } = tally(answers);
      console.log(`${answers.length} waits, ${kills} notification connections killed: ${JSON.stringify(counts)}, slowest ${slowest} ms`);
      expect(kills).toBeGreaterThan(3);
      expect(answers.length).toBeGreaterThan(100);
      expect(counts).toEqual({ completed: answers.length });
      expect(late).toBe(0);
      expect(await completedJobs(redis)).toBe(answers.length);
    } finally {
      redis.disconnect();
    }
  });
});
