import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY, isRetryableStatus, retryAfterMs, retryDelayMs, retryPolicy, sleep } from './retry-policy.js';

describe('retryDelayMs', () => {
  it('doubles the backoff at each try, between half and all of it', () => {
    const policy = { retries: 5, minDelayMs: 100, maxDelayMs: 10_000 };
    expect([0, 1, 2, 3].map((retry) => retryDelayMs(retry, policy, undefined, () => 0))).toEqual([50, 100, 200, 400]);
    expect([0, 1, 2, 3].map((retry) => retryDelayMs(retry, policy, undefined, () => 1))).toEqual([100, 200, 400, 800]);
  });

  it('caps the backoff at maxDelayMs', () => {
    const policy = { retries: 20, minDelayMs: 100, maxDelayMs: 1_000 };
    expect(retryDelayMs(15, policy, undefined, () => 1)).toBe(1_000);
  });

  it('waits what Retry-After asks, and gives up when it asks for more than maxDelayMs', () => {
    expect(retryDelayMs(0, DEFAULT_RETRY, 2_000)).toBe(2_000);
    expect(retryDelayMs(0, { ...DEFAULT_RETRY, maxDelayMs: 1_000 }, 2_000)).toBeUndefined();
  });

  it('stops once the retries are spent', () => {
    expect(retryDelayMs(2, DEFAULT_RETRY, undefined)).toBeDefined();
    expect(retryDelayMs(3, DEFAULT_RETRY, undefined)).toBeUndefined();
    expect(retryDelayMs(0, retryPolicy(false), 1_000)).toBeUndefined();
  });
});

describe('retryAfterMs', () => {
  it('reads delay-seconds and HTTP dates', () => {
    expect(retryAfterMs('1')).toBe(1_000);
    expect(retryAfterMs(' 30 ')).toBe(30_000);
    const now = Date.parse('Wed, 21 Oct 2026 07:27:00 GMT');
    expect(retryAfterMs('Wed, 21 Oct 2026 07:28:00 GMT', now)).toBe(60_000);
    expect(retryAfterMs('Wed, 21 Oct 2026 07:26:00 GMT', now)).toBe(0);
  });

  it('is undefined when absent or unreadable', () => {
    expect(retryAfterMs(null)).toBeUndefined();
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs('-1')).toBeUndefined();
  });
});

describe('isRetryableStatus', () => {
  it('retries 503 always and 429 only with Retry-After', () => {
    expect(isRetryableStatus(503, undefined)).toBe(true);
    expect(isRetryableStatus(429, 1_000)).toBe(true);
    expect(isRetryableStatus(429, undefined)).toBe(false);
    for (const status of [400, 404, 409, 413, 422, 500, 504]) expect(isRetryableStatus(status, 1_000)).toBe(false);
  });
});

describe('retryPolicy', () => {
  it('fills defaults and names a bad option', () => {
    expect(retryPolicy(undefined)).toEqual(DEFAULT_RETRY);
    expect(retryPolicy({ retries: 1 })).toEqual({ ...DEFAULT_RETRY, retries: 1 });
    expect(() => retryPolicy({ minDelayMs: -1 })).toThrow(/retry\.minDelayMs must be a finite number >= 0, got -1/);
    expect(() => retryPolicy({ retries: 1.5 })).toThrow(/retry\.retries must be a whole number/);
  });
});

describe('sleep', () => {
  it('rejects with the reason once the signal aborts', async () => {
    const controller = new AbortController();
    const slept = sleep(60_000, controller.signal);
    controller.abort(new Error('stop'));
    await expect(slept).rejects.toThrow('stop');
    await expect(sleep(10, AbortSignal.abort(new Error('already')))).rejects.toThrow('already');
  });
});
