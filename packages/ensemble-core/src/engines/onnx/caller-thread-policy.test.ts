import { describe, expect, it } from 'vitest';
import type { PassThread } from '../engine.js';
import { CALLER_WINDOW, CallerThreadPolicy, PROBE_PASSES, REPROBE_AFTER } from './caller-thread-policy.js';

/** Runs `passes` passes of `key`, each taking the times given for the thread the policy chose; returns the threads, in order. */
function simulate(
  policy: CallerThreadPolicy,
  passes: number,
  times: { caller: number; engine: number; engineCompute: number },
  key = 'shared:1',
): PassThread[] {
  const threads: PassThread[] = [];
  for (let i = 0; i < passes; i++) {
    const thread = policy.choose(key);
    threads.push(thread);
    if (thread === 'caller') policy.record(key, thread, times.caller + 0.01, times.caller);
    else policy.record(key, thread, times.engine, times.engineCompute);
  }
  return threads;
}

const probe = 2 * (PROBE_PASSES + 1);
const tiny = { caller: 0.02, engine: 0.1, engineCompute: 0.02 };

describe('CallerThreadPolicy', () => {
  it('groups passes by input mode and batch size rounded up to a power of two', () => {
    expect([1, 2, 3, 4, 5, 8, 9, 256].map((batch) => CallerThreadPolicy.key('shared', batch))).toEqual([
      'shared:1',
      'shared:2',
      'shared:4',
      'shared:4',
      'shared:8',
      'shared:8',
      'shared:16',
      'shared:256',
    ]);
    expect(CallerThreadPolicy.key('per-member', 3)).toBe('per-member:4');
  });

  it("times the engine's thread, then the caller's, then keeps a short pass on the caller's thread", () => {
    const threads = simulate(new CallerThreadPolicy(0.3), probe + 100, tiny);
    expect(threads.slice(0, PROBE_PASSES + 1).every((t) => t === 'engine')).toBe(true);
    expect(threads.slice(PROBE_PASSES + 1).every((t) => t === 'caller')).toBe(true);
  });

  it("never tries the caller's thread for a pass whose compute is far over the limit", () => {
    const threads = simulate(new CallerThreadPolicy(0.3), 3 * REPROBE_AFTER, { caller: 2, engine: 2.2, engineCompute: 1.9 });
    expect(threads).not.toContain('caller');
  });

  it("tries the caller's thread when the engine's compute is just over the limit: one thread can be the faster", () => {
    const threads = simulate(new CallerThreadPolicy(0.3), probe + 50, { caller: 0.25, engine: 0.6, engineCompute: 0.45 });
    expect(threads.slice(probe)).toEqual(Array(50).fill('caller'));
  });

  it("keeps the engine's thread when the caller's is over the limit or slower than the hand-over", () => {
    expect(simulate(new CallerThreadPolicy(0.3), probe + 50, { caller: 0.35, engine: 0.5, engineCompute: 0.2 }).slice(probe)).not.toContain(
      'caller',
    );
    expect(simulate(new CallerThreadPolicy(0.3), probe + 50, { caller: 0.2, engine: 0.15, engineCompute: 0.1 }).slice(probe)).not.toContain(
      'caller',
    );
  });

  it("leaves the caller's thread when its passes grow past the limit, and tries it again later", () => {
    const policy = new CallerThreadPolicy(0.3);
    simulate(policy, probe, tiny);
    expect(policy.choose('shared:1')).toBe('caller');
    // one slow pass in a window does not move it
    simulate(policy, 1, { ...tiny, caller: 5 });
    expect(simulate(policy, CALLER_WINDOW, tiny)).not.toContain('engine');
    // a window of slow passes does
    simulate(policy, CALLER_WINDOW, { ...tiny, caller: 0.5 });
    expect(policy.choose('shared:1')).toBe('engine');
    const later = simulate(policy, REPROBE_AFTER + probe + 10, tiny);
    expect(later.slice(0, REPROBE_AFTER).every((t) => t === 'engine')).toBe(true);
    expect(later.slice(-10).every((t) => t === 'caller')).toBe(true);
  });

  it('decides for each group apart', () => {
    const policy = new CallerThreadPolicy(0.3);
    simulate(policy, probe, tiny, 'shared:1');
    simulate(policy, probe, { caller: 1, engine: 1.2, engineCompute: 0.9 }, 'shared:64');
    expect(policy.choose('shared:1')).toBe('caller');
    expect(policy.choose('shared:64')).toBe('engine');
    expect(policy.choose('per-member:1')).toBe('engine');
  });

  it("sends every pass to the caller's thread, untimed, at Infinity, and none at 0", () => {
    expect(simulate(new CallerThreadPolicy(Number.POSITIVE_INFINITY), 20, { caller: 9, engine: 1, engineCompute: 1 })).toEqual(
      Array(20).fill('caller'),
    );
    expect(simulate(new CallerThreadPolicy(0), 50, tiny)).toEqual(Array(50).fill('engine'));
  });
});
