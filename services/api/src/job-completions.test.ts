import { encodeCompletionNotice } from '@ensembles/jobs';
import { describe, expect, it } from 'vitest';
import { JobCompletions } from './job-completions.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Completions whose queue says that the jobs in `done` have finished, and counts its reads. */
function completions(done: Set<string> = new Set(), sweepMs = 60_000) {
  const reads: string[][] = [];
  const finished = async (ids: readonly string[]) => {
    reads.push([...ids]);
    return new Set(ids.filter((id) => done.has(id)));
  };
  return { reads, completions: new JobCompletions(finished, { sweepMs }) };
}

describe('JobCompletions', () => {
  it('settles every wait for a job when its notice arrives, and only those', async () => {
    const { completions: waits } = completions();
    const a1 = waits.wait('a', 5000);
    const a2 = waits.wait('a', 5000);
    const b = waits.wait('b', 5000);
    waits.noticed('c:a');
    expect(await a1.finished).toBe(true);
    expect(await a2.finished).toBe(true);
    expect(waits.size).toBe(1);
    waits.noticed('not a notice');
    waits.noticed('f:b');
    expect(await b.finished).toBe(true);
    expect(waits.size).toBe(0);
    waits.close();
  });

  it('hands over the completed job a notice carries, and nothing once a wait has ended', async () => {
    const { completions: waits } = completions();
    const wait = waits.wait('a', 5000);
    const job = {
      id: 'a',
      timestamp: 1,
      processedOn: 2,
      finishedOn: 3,
      returnvalue: { version: 'f'.repeat(64), tensors: {}, computeMs: 1, batchJobs: 1, batchRows: 1, worker: 'w', completedAt: 3 },
    };
    waits.noticed(encodeCompletionNotice({ id: 'a', status: 'completed', job }));
    expect(await wait.finished).toBe(true);
    expect(wait.job).toEqual(job);
    wait.cancel();
    expect(wait.job).toEqual(job);
    waits.close();
  });

  it('gives up after the time allowed, or when cancelled, and holds nothing afterwards', async () => {
    const { completions: waits } = completions();
    const late = waits.wait('late', 20);
    const cancelled = Array.from({ length: 1000 }, (_, i) => waits.wait(`job-${i}`, 60_000));
    for (const wait of cancelled) wait.cancel();
    expect(await late.finished).toBe(false);
    expect(await Promise.all(cancelled.map((wait) => wait.finished))).toEqual(Array(1000).fill(false));
    expect(waits.size).toBe(0);
    waits.close();
  });

  it('finds a job whose notice was lost by reading the state of older waits', async () => {
    const done = new Set<string>();
    const { completions: waits, reads } = completions(done, 50);
    const lost = waits.wait('lost', 5000);
    const pending = waits.wait('pending', 5000);
    done.add('lost');
    expect(await lost.finished).toBe(true);
    expect(reads.flat()).toContain('pending');
    expect(waits.size).toBe(1);
    pending.cancel();
    waits.close();
  });

  it('reads every wait at once after a reconnect, and only the old ones at a sweep', async () => {
    const done = new Set(['old', 'new']);
    const { completions: waits, reads } = completions(done);
    const old = waits.wait('old', 5000);
    await sleep(30);
    const fresh = waits.wait('new', 5000);
    await waits.check(25);
    expect(reads).toEqual([['old']]);
    expect(await old.finished).toBe(true);
    await waits.check(0);
    expect(await fresh.finished).toBe(true);
    waits.close();
  });

  it('keeps waiting when the state cannot be read', async () => {
    const waits = new JobCompletions(async () => {
      throw new Error('Redis is away');
    });
    const wait = waits.wait('a', 5000);
    await waits.check(0);
    expect(waits.size).toBe(1);
    wait.cancel();
    waits.close();
  });
});
