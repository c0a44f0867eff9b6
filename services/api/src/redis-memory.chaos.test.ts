/**
 * Redis' memory settings against the deployed API: a Redis that may evict
 * keys (an evicting `maxmemory-policy`) makes the API not ready, saying why,
 * whether it can read the policy with CONFIG or only from INFO; a Redis
 * that is full and evicts nothing (`noeviction`) refuses the submissions
 * with 503 and a code of their own, never 500, and the service carries on
 * once memory is freed.
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { type ServiceStack, startServiceStack } from './testing/service-stack.js';

let stack: ServiceStack | undefined;
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

async function readiness(target: ServiceStack): Promise<{ status: number; body: { ready: boolean; error?: string } }> {
  const response = await fetch(`${target.base}/v2/health/ready`);
  return { status: response.status, body: (await response.json()) as { ready: boolean; error?: string } };
}

describe('an evicting maxmemory-policy', () => {
  it('makes the API not ready, and says why (policy read with CONFIG GET)', async () => {
    stack = await startServiceStack({ workers: 0 });
    expect(await readiness(stack)).toEqual({ status: 200, body: { ready: true } });
    const admin = new Redis(stack.redis.url);
    await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
    const evicting = await readiness(stack);
    await admin.config('SET', 'maxmemory-policy', 'noeviction');
    const again = await readiness(stack);
    admin.disconnect();

    expect(evicting.status).toBe(503);
    expect(evicting.body.ready).toBe(false);
    expect(evicting.body.error).toMatch(/maxmemory-policy allkeys-lru.*noeviction/);
    expect(again).toEqual({ status: 200, body: { ready: true } });
  }, 60_000);

  it('is found from INFO where CONFIG is not allowed, and warned about at start', async () => {
    stack = await startServiceStack({ workers: 0, redisArgs: ['--maxmemory-policy', 'volatile-lru', '--rename-command', 'CONFIG', ''] });
    const evicting = await readiness(stack);
    expect(evicting.status).toBe(503);
    expect(evicting.body.error).toMatch(/maxmemory-policy volatile-lru/);
    expect(stack.api.output()).toMatch(/maxmemory-policy volatile-lru/);
  }, 60_000);
});

describe('a full Redis that evicts nothing', () => {
  it('answers submissions 503 REDIS_OUT_OF_MEMORY, never 500, and recovers once memory is freed', async () => {
    stack = await startServiceStack({ workers: 1 });
    const before = await stack.submit();
    expect(before.status).toBe(202);
    const admin = new Redis(stack.redis.url);
    // Full: 4 MiB of other data, then a limit below what Redis holds (it evicts nothing, so it refuses writes).
    const keys = 64;
    for (let i = 0; i < keys; i++) await admin.set(`filler:${i}`, Buffer.alloc(64 << 10, 1));
    const used = Number(/^used_memory:(\d+)/m.exec(await admin.info('memory'))?.[1]);
    await admin.config('SET', 'maxmemory', String(used - (1 << 20)));
    await expect(admin.set('probe', 'x')).rejects.toThrow(/^OOM/);

    const answers = await Promise.all(Array.from({ length: 20 }, () => stack?.submit() as ReturnType<ServiceStack['submit']>));
    const list = await fetch(`${stack.base}/v1/ensembles`);
    const statuses: Record<string, number> = {};
    for (const a of answers) statuses[`${a.status} ${a.code ?? ''}`.trim()] = (statuses[`${a.status} ${a.code ?? ''}`.trim()] ?? 0) + 1;
    console.info(JSON.stringify({ fillerKeys: keys, answers: statuses, maxMs: Math.round(Math.max(...answers.map((a) => a.ms))) }));

    await admin.del(...Array.from({ length: keys }, (_, i) => `filler:${i}`));
    const after = await stack.submit();
    const settled = await stack.settle([before.id as string, after.id as string], 30_000);
    admin.disconnect();

    expect(answers.filter((a) => a.status !== 503 || a.code !== 'REDIS_OUT_OF_MEMORY')).toEqual([]);
    expect(list.status).toBe(200);
    expect(after.status).toBe(202);
    expect([...settled.values()]).toEqual(['completed', 'completed']);
  }, 60_000);
});
