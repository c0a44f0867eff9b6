/**
 * When a call is tried again, and after how long: a connection that failed,
 * a 503 (Redis unreachable or full: the request did nothing), or a 429 that
 * says when to come back (`Retry-After`: the queue is full, or the tenant's
 * rate limit is reached). Backoff doubles from `minDelayMs`, with jitter so
 * that many clients refused together do not come back together.
 */

export interface RetryOptions {
  /** Tries after the first; 0 turns retrying off. @defaultValue 3 */
  readonly retries?: number;
  /** The first backoff, doubled at each try (then between half and all of it, at random). @defaultValue 200 */
  readonly minDelayMs?: number;
  /**
   * The longest wait before a try. An answer whose `Retry-After` asks for
   * longer is not retried: its error is thrown at once. @defaultValue 30_000
   */
  readonly maxDelayMs?: number;
}

export type RetryPolicy = Required<RetryOptions>;

export const DEFAULT_RETRY: RetryPolicy = { retries: 3, minDelayMs: 200, maxDelayMs: 30_000 };

/** The policy from its options, defaults first; a bad option is named. */
export function retryPolicy(options: RetryOptions | false | undefined): RetryPolicy {
  const policy = { ...DEFAULT_RETRY, ...(options === false ? { retries: 0 } : options) };
  for (const [name, value] of Object.entries(policy)) {
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`retry.${name} must be a finite number >= 0, got ${value}`);
  }
  if (!Number.isInteger(policy.retries)) throw new RangeError(`retry.retries must be a whole number, got ${policy.retries}`);
  return policy;
}

/** Whether an answer with this status may be tried again: 503 always, 429 when it says when (`Retry-After`). */
export function isRetryableStatus(status: number, retryAfterMs: number | undefined): boolean {
  return status === 503 || (status === 429 && retryAfterMs !== undefined);
}

/**
 * The wait before try `retry` (0 for the first retry), or undefined when no
 * try is left or the service asks for a longer wait than `maxDelayMs`.
 *
 * @example
 * retryDelayMs(0, DEFAULT_RETRY, undefined); // 100..200
 * retryDelayMs(1, DEFAULT_RETRY, 1000); // 1000: Retry-After: 1
 * retryDelayMs(3, DEFAULT_RETRY, undefined); // undefined: 3 retries spent
 */
export function retryDelayMs(
  retry: number,
  policy: RetryPolicy,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number | undefined {
  if (retry >= policy.retries) return undefined;
  if (retryAfterMs !== undefined) return retryAfterMs <= policy.maxDelayMs ? retryAfterMs : undefined;
  const backoff = Math.min(policy.maxDelayMs, policy.minDelayMs * 2 ** retry);
  return backoff / 2 + (backoff / 2) * random();
}

/**
 * `Retry-After` in milliseconds: delay-seconds (`1`) or an HTTP date; undefined when absent or unreadable.
 *
 * @example
 * retryAfterMs('2'); // 2000
 * retryAfterMs('Wed, 21 Oct 2026 07:28:00 GMT', Date.parse('Wed, 21 Oct 2026 07:27:00 GMT')); // 60000
 */
export function retryAfterMs(header: string | null, now: number = Date.now()): number | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  // An HTTP date names its day and month (`Wed, 21 Oct 2026 07:28:00 GMT`); a bare number here is not one.
  const date = /[a-z]/i.test(value) ? Date.parse(value) : Number.NaN;
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Resolves after `ms`, or rejects with the signal's reason once it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const aborted = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', aborted);
      resolve();
    }, ms);
    signal?.addEventListener('abort', aborted, { once: true });
  });
}
