/**
 * Times one bench case: one compiled ensemble, one input, one input mode and
 * one strategy. Warm-up runs first (they also compile the loop strategy's
 * per-member sessions), then every run is timed end to end, as a caller of
 * `CompiledEnsemble.run` sees it.
 */
import { performance } from 'node:perf_hooks';
import type { CompiledEnsemble, InputMode, Strategy, Tensor } from '@ensembles/core';

export interface CaseTiming {
  readonly runs: number;
  readonly medianMs: number;
  readonly p90Ms: number;
  /** Member-samples per second: N * B over the median. */
  readonly samplesPerSecond: number;
  /** 2 * multiply-adds per member-sample * N * B over the median. */
  readonly gflops: number;
  /** The process's peak resident set so far (it never goes down), in MiB. */
  readonly peakRssMb: number;
}

export interface MeasureOptions {
  readonly mode: InputMode;
  readonly strategy: Strategy;
  /** Timed runs. */
  readonly runs: number;
  /** @defaultValue 3 */
  readonly warmUpRuns?: number;
}

export async function measureCase(compiled: CompiledEnsemble, input: Tensor, options: MeasureOptions): Promise<CaseTiming> {
  const { mode, strategy, runs, warmUpRuns } = { warmUpRuns: 3, ...options };
  for (let i = 0; i < warmUpRuns; i++) await compiled.run(input, { mode, strategy });
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await compiled.run(input, { mode, strategy });
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const medianMs = percentile(times, 0.5);
  const { members } = compiled.architecture.manifest;
  const batch = mode === 'shared' ? (input.shape[0] as number) : (input.shape[1] as number);
  const memberSamples = members * batch;
  return {
    runs,
    medianMs,
    p90Ms: percentile(times, 0.9),
    samplesPerSecond: memberSamples / (medianMs / 1e3),
    gflops: (2 * compiled.architecture.multiplyAddsPerSample * memberSamples) / (medianMs * 1e6),
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  };
}

/** Linear interpolation between the closest ranks of sorted values (the median of an even count is the mean of the middle two). */
function percentile(sorted: readonly number[], p: number): number {
  const rank = p * (sorted.length - 1);
  const low = sorted[Math.floor(rank)] as number;
  const high = sorted[Math.ceil(rank)] as number;
  return low + (high - low) * (rank - Math.floor(rank));
}
