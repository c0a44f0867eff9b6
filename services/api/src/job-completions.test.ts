import { EventEmitter } from 'node:events';
import type { QueueEvents } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { JobCompletions } from './job-completions.js';

/** Queue events as the API receives them, emitted by hand. */
function events() {
  const emitter = new EventEmitter();
  return { emitter, completions: new JobCompletions(emitter as unknown as QueueEvents) };
}

describe('JobCompletions', () => {
  it('settles every wait for a job when it completes or fails, and only those', async () => {
    const { emitter, completions } = events();
    const a1 = completions.wait('a', 5000);
    const a2 = completions.wait('a', 5000);
    const b = completions.wait('b', 5000);
    emitter.emit('completed', { jobId: 'a', returnvalue: '{}' });
    expect(await a1.finished).toBe(true);
    expect(await a2.finished).toBe(true);
    expect(completions.size).toBe(1);
    emitter.emit('failed', { jobId: 'b', failedReason: 'bad input' });
    expect(await b.finished).toBe(true);
    expect(completions.size).toBe(0);
  });

  it('gives up after the time allowed, or when cancelled, and holds nothing afterwards', async () => {
    const { emitter, completions } = events();
    const late = completions.wait('late', 20);
    const cancelled = Array.from({ length: 1000 }, (_, i) => completions.wait(`job-${i}`, 60_000));
    for (const wait of cancelled) wait.cancel();
    expect(await late.finished).toBe(false);
    expect(await Promise.all(cancelled.map((wait) => wait.finished))).toEqual(Array(1000).fill(false));
    expect(completions.size).toBe(0);
    // one listener per event for all of them
    expect(emitter.listenerCount('completed')).toBe(1);
  });
});
