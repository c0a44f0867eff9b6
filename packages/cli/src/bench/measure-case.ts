/**
 * Times the bench cases of one compiled ensemble, one input and one input
 * mode: every strategy, with their runs interleaved (loop, vectorized,
 * vectorized, loop, ...) so that the machine's drift and noise fall on both
 * alike and their ratio stays meaningful. Warm-up runs first (they also
 * compile the loop strategy's per-member sessions); every run is timed end to
 * end, as a caller of `CompiledEnsemble.run` sees it. Runs give up their
 * input (`consumeInput`), as the worker's do, so that an engine with a thread
 * of its own moves the buffer there rather than copying it; each run's own
 * copy of the input is made before its timing starts.
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
  /** Each run's time, in the order run (for paired comparisons between strategies). */
  readonly timesMs: readonly number[];
  /** Median of the time spent computing on the engine's thread (`CompiledEnsemble.lastComputeMs`), and its GFLOP/s. */
  readonly computeMedianMs: number;
  readonly computeGflops: number;
}

/**
 * The speedup of `faster` over `baseline` from interleaved runs: the median of
 * the per-pair ratios, with their interquartile range as the noise band.
 */
export function pairedSpeedup(baseline: CaseTiming, faster: CaseTiming): { median: number; low: number; high: number } {
  const ratios = baseline.timesMs.map((time, i) => time / (faster.timesMs[i] as number)).sort((a, b) => a - b);
  return { median: percentile(ratios, 0.5), low: percentile(ratios, 0.25), high: percentile(ratios, 0.75) };
}

export interface MeasureOptions {
  readonly mode: InputMode;
  readonly strategies: readonly Strategy[];
  /** Timed runs per strategy. */
  readonly runs: number;
  /** @defaultValue 3 */
  readonly warmUpRuns?: number;
}

export async function measureStrategies(
  compiled: CompiledEnsemble,
  input: Tensor,
  options: MeasureOptions,
): Promise<Map<Strategy, CaseTiming>> {
  const { mode, strategies, runs, warmUpRuns } = { warmUpRuns: 3, ...options };
  const own = (): Tensor => ({ shape: input.shape, data: input.data.slice() });
  for (const strategy of strategies) {
    for (let i = 0; i < warmUpRuns; i++) await compiled.run(own(), { mode, strategy, consumeInput: true });
  }
  const times = new Map<Strategy, number[]>(strategies.map((strategy) => [strategy, []]));
  const computeTimes = new Map<Strategy, number[]>(strategies.map((strategy) => [strategy, []]));
  for (let i = 0; i < runs; i++) {
    const order = i % 2 === 0 ? strategies : [...strategies].reverse();
    for (const strategy of order) {
      const runInput = own();
      const started = performance.now();
      await compiled.run(runInput, { mode, strategy, consumeInput: true });
      times.get(strategy)?.push(performance.now() - started);
      computeTimes.get(strategy)?.push(compiled.lastComputeMs ?? Number.NaN);
    }
  }
  const { members } = compiled.architecture.manifest;
  const batch = mode === 'shared' ? (input.shape[0] as number) : (input.shape[1] as number);
  const memberSamples = members * batch;
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  return new Map(
    [...times].map(([strategy, timesMs]) => {
      const samples = [...timesMs].sort((a, b) => a - b);
      const medianMs = percentile(samples, 0.5);
      const computeMedianMs = percentile(
        [...(computeTimes.get(strategy) ?? [])].sort((a, b) => a - b),
        0.5,
      );
      const flops = 2 * compiled.architecture.multiplyAddsPerSample * memberSamples;
      const timing: CaseTiming = {
        runs,
        medianMs,
        p90Ms: percentile(samples, 0.9),
        samplesPerSecond: memberSamples / (medianMs / 1e3),
        gflops: flops / (medianMs * 1e6),
        computeMedianMs,
        computeGflops: flops / (computeMedianMs * 1e6),
        peakRssMb,
        timesMs,
      };
      return [strategy, timing];
    }),
  );
}

/** Linear interpolation between the closest ranks of sorted values (the median of an even count is the mean of the middle two). */
function percentile(sorted: readonly number[], p: number): number {
  const rank = p * (sorted.length - 1);
  const low = sorted[Math.floor(rank)] as number;
  const high = sorted[Math.ceil(rank)] as number;
  return low + (high - low) * (rank - Math.floor(rank));
}
