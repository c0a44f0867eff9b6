import type { Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { WaitingJobs } from './waiting-jobs.js';

/** A queue whose waiting count is set by the test, counting how often it is read. */
function queue(waiting: { count: number; reads: number }): Queue {
  return {
    getJobCountByTypes: async () => {
      waiting.reads++;
      return waiting.count;
    },
  } as unknown as Queue;
}

describe('WaitingJobs', () => {
  it('reads Redis at most once per period and counts this process’ additions in between', async () => {
    const waiting = { count: 7, reads: 0 };
    const jobs = new WaitingJobs(queue(waiting), 60_000);
    expect(await Promise.all([jobs.current(), jobs.current()])).toEqual([7, 7]);
    jobs.added();
    jobs.added();
    expect(await jobs.current()).toBe(9);
    expect(waiting.reads).toBe(1);
  });

  it('reads again once its count is older than the period', async () => {
    const waiting = { count: 1, reads: 0 };
    const jobs = new WaitingJobs(queue(waiting), 0);
    expect(await jobs.current()).toBe(1);
    waiting.count = 40;
    await new Promise((resolve) => setTimeout(resolve, 2));
    expect(await jobs.current()).toBe(40);
    expect(waiting.reads).toBe(2);
  });
});
