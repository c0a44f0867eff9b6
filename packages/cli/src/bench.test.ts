/**
 * `ensemble bench` end to end, as a user runs it: the JSON lines' fields and
 * case count, and the usage errors. Timings are printed, never asserted.
 */
import { describe, expect, it } from 'vitest';
import { ensemble } from './testing/run-ensemble.js';

describe('ensemble bench', () => {
  it('prints one JSON line per case: batch x strategy x mode, with the roofline in each', async () => {
    const result = await ensemble('bench', '--config', 'small-batch', '--engine', 'onnx', '--runs', '50', '--threads', '2', '--json');
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const cases = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(cases).toHaveLength(8);
    const keys = cases.map((c) => `${c.batch} ${c.mode} ${c.strategy}`).sort();
    expect(keys).toEqual([
      '1 per-member loop',
      '1 per-member vectorized',
      '1 shared loop',
      '1 shared vectorized',
      '8 per-member loop',
      '8 per-member vectorized',
      '8 shared loop',
      '8 shared vectorized',
    ]);
    for (const c of cases) {
      expect(c).toMatchObject({ config: 'small-batch', engine: 'onnx', backend: 'cpu', target: 'onnx', members: 10, threads: 2, runs: 50 });
      expect(c.notes).toEqual([]);
      for (const field of ['medianMs', 'p90Ms', 'samplesPerSecond', 'gflops', 'rooflineGflops', 'peakRssMb']) {
        expect(c[field], field).toBeGreaterThan(0);
        expect(Number.isFinite(c[field]), field).toBe(true);
      }
      expect(c.p90Ms).toBeGreaterThanOrEqual(c.medianMs);
      // the derived figures follow from the median: N*B member-samples, 2 * 118,016 multiply-adds each
      expect(c.samplesPerSecond).toBeCloseTo((10 * c.batch) / (c.medianMs / 1e3), 6);
      expect(c.gflops).toBeCloseTo((2 * 118_016 * 10 * c.batch) / (c.medianMs * 1e6), 6);
    }
    // one roofline per run, shared by every case
    expect(new Set(cases.map((c) => c.rooflineGflops)).size).toBe(1);
  });

  it('prints a table with the roofline in the header and a speedup line per pair', async () => {
    const result = await ensemble('bench', '--config', 'seed', '--engine', 'onnx', '--runs', '50', '--threads', '1');
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/roofline at the start: ONNX Runtime sgemm 1024x1024x1024 at 1 thread: [\d.]+ GFLOP\/s/);
    expect(result.stdout).toMatch(/roofline before onnx seed: ONNX Runtime sgemm/);
    expect(result.stdout.match(/^seed {2,}64 {2}onnx\/cpu/gm)).toHaveLength(4);
    expect(result.stdout.match(/vectorized vs loop: [\d.]+x/g)).toHaveLength(2);
  });

  it.each([
    ['an unknown config', ['--config', 'seed,huge'], /unknown --config huge; one of seed, small-batch, wide, cnn, resnet, transformer/],
    ['an unknown engine', ['--engine', 'tpu'], /unknown --engine tpu; available here: onnx/],
    ['a bad run count', ['--runs', '0'], /--runs must be a positive integer; got 0/],
  ])('refuses %s with exit code 2 and the valid values', async (_what, flags, message) => {
    const result = await ensemble('bench', ...flags);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
  });
});
