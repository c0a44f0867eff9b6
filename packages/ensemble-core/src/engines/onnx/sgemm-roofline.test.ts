import { describe, expect, it } from 'vitest';
import { measureSgemmGflops } from './sgemm-roofline.js';

describe('measureSgemmGflops', () => {
  it('measures a positive, finite throughput', async () => {
    const { gflops, medianMs } = await measureSgemmGflops({ threads: 1, size: 64, runs: 3 });
    expect(Number.isFinite(gflops)).toBe(true);
    expect(gflops).toBeGreaterThan(0);
    expect(medianMs).toBeGreaterThan(0);
  });

  it('refuses a size that is not a positive integer', async () => {
    await expect(measureSgemmGflops({ threads: 1, size: 0 })).rejects.toThrow('size must be a positive integer, got 0');
  });
});
