/**
 * The README's run command as a user meets it: the all-in-one process on a
 * private Redis answers the README's requests, then stops cleanly on SIGTERM.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { freePort, type PrivateRedis, startPrivateRedis } from '@ensembles/redis-testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const main = new URL('../dist/main.js', import.meta.url).pathname;
let redis: PrivateRedis;
let child: ChildProcess;
let base: string;

/** Keys of other software in the same Redis, which the service must leave alone. */
const FOREIGN = { 'someone-else:config': 'theirs', 'ens-other:queue': 'also theirs' };

beforeAll(async () => {
  redis = await startPrivateRedis();
  const admin = new Redis(redis.url);
  await admin.mset(FOREIGN);
  admin.disconnect();
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  child = spawn(process.execPath, [main], {
    env: { ...process.env, REDIS_URL: redis.url, PORT: String(port), LOG_LEVEL: 'warn', ENSEMBLE_THREADS: '1' },
    stdio: 'ignore',
  });
  for (let i = 0; i < 200; i++) {
    const ready = await fetch(`${base}/v2/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the all-in-one process did not become ready');
});

afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await redis?.stop();
});

describe('npm start (all in one)', () => {
  it('registers the example ensemble and predicts with it, as the README shows', async () => {
    const list = (await (await fetch(`${base}/v1/ensembles`)).json()) as { ensembles: { name: string; members: number }[] };
    expect(list.ensembles.map((e) => [e.name, e.members])).toEqual([['mnist-mlp', 10]]);

    const response = await fetch(`${base}/v1/ensembles/mnist-mlp/predictions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', prefer: 'wait=10' },
      body: JSON.stringify({
        input: { shape: [2, 1, 28, 28], data: Array(2 * 784).fill(0.5) },
        combine: 'mean-softmax',
        uncertainty: true,
      }),
    });
    expect(response.status).toBe(200);
    const job = (await response.json()) as { status: string; result: { combined: { shape: number[]; data: number[] } } };
    expect(job.status).toBe('completed');
    expect(job.result.combined.shape).toEqual([2, 10]);
    const sum = job.result.combined.data.slice(0, 10).reduce((a, b) => a + b, 0);
    expect(sum).toBeCloseTo(1, 5);
  });

  it('writes only keys under its prefix, and leaves the keys of other software alone', async () => {
    const admin = new Redis(redis.url);
    try {
      const keys = await admin.keys('*');
      const own = keys.filter((key) => !(key in FOREIGN));
      expect(own.length).toBeGreaterThan(0);
      expect(own.filter((key) => !key.startsWith('ens:'))).toEqual([]);
      expect(await admin.mget(...Object.keys(FOREIGN))).toEqual(Object.values(FOREIGN));
    } finally {
      admin.disconnect();
    }
  });

  it('stops on SIGTERM with exit code 0', async () => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
