/** A made-up report for the tests of the table, the targets, the JSON output and the chart: figures chosen, not measured. */
import type { PhaseResult } from '../load-generator.js';
import type { BenchReport } from '../report.js';
import type { VariantResult } from '../run-scenario.js';
import { summarize } from '../statistics.js';

export function phase(throughput: number, latencies: number[], rate?: number): PhaseResult {
  return {
    phase: rate ? { kind: 'open', rate, durationMs: 1000 } : { kind: 'closed', concurrency: 8, durationMs: 1000 },
    sent: latencies.length,
    ok: latencies.length,
    failures: {},
    elapsedMs: 1000,
    throughput,
    latencyMs: summarize(latencies),
    computeMs: 1,
    batchJobs: 2,
  };
}

export function variant(scenario: string, batching: boolean, max: number, apis = 1): VariantResult {
  return {
    scenario,
    rows: 1,
    members: 10,
    batching,
    workers: 1,
    apis,
    threadsPerWorker: 2,
    saturation: phase(max, [40, 50, 60]),
    loads: [0.25, 0.5, 0.75].map((fraction) => ({ fraction, ...phase(max * fraction, [5, 6, 30], max * fraction) })),
    workerCores: 1,
    apiCores: 0.5 * apis,
    redisCores: 0.2,
    loadGeneratorCores: 0.1,
    redisCallsPerJob: 20,
    cpuMsPerJob: { workers: 1, api: 1.25 * apis, redis: 0.5, loadGenerator: 0.2 },
    workerPeakRssBytes: 2 ** 27,
    apiPeakRssBytes: 2 ** 26,
    redisMemoryBefore: 2 ** 20,
    redisMemoryAfter: 2 ** 21,
  };
}

export const report: BenchReport = {
  date: '2026-01-01',
  cpu: 'Test CPU <8 cores>',
  cores: 2,
  phaseMs: 1000,
  workerConcurrency: 16,
  bullmq: {
    concurrency: 16,
    producers: 64,
    durationMs: 1000,
    throughput: 1000,
    redisCallsPerJob: 8,
    cpuMsPerJob: { worker: 0.2, producer: 0.2 },
  },
  engine: {
    'seed-b1': { rows: 1, threads: 2, passes: 100, throughput: 4000, medianPassMs: 0.25 },
    'wide-b1': { rows: 1, threads: 2, passes: 100, throughput: 60, medianPassMs: 16 },
  },
  variants: [
    variant('seed-b1', true, 600),
    variant('seed-b1', false, 100),
    variant('tiny', true, 500),
    variant('tiny', true, 700, 3),
    variant('wide-b1', true, 400),
    variant('wide-b1', false, 50),
  ],
};
