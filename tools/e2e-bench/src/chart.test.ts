import { describe, expect, it } from 'vitest';
import { renderChart } from './chart.js';
import type { PhaseResult } from './load-generator.js';
import type { BenchReport } from './report.js';
import { markdownTable, targets } from './report.js';
import type { VariantResult } from './run-scenario.js';
import { summarize } from './statistics.js';

function phase(throughput: number, latencies: number[], rate?: number): PhaseResult {
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

function variant(scenario: string, batching: boolean, max: number): VariantResult {
  return {
    scenario,
    rows: 1,
    members: 10,
    batching,
    workers: 1,
    threadsPerWorker: 2,
    saturation: phase(max, [40, 50, 60]),
    loads: [0.25, 0.5, 0.75].map((fraction) => ({ fraction, ...phase(max * fraction, [5, 6, 30], max * fraction) })),
    workerCores: 1,
    apiCores: 0.5,
    redisCores: 0.2,
    loadGeneratorCores: 0.1,
    redisCallsPerJob: 20,
    cpuMsPerJob: { workers: 1, api: 1, redis: 0.5, loadGenerator: 0.2 },
    workerPeakRssBytes: 2 ** 27,
    apiPeakRssBytes: 2 ** 26,
    redisMemoryBefore: 2 ** 20,
    redisMemoryAfter: 2 ** 21,
  };
}

const report: BenchReport = {
  date: '2026-01-01',
  cpu: 'Test CPU <8 cores>',
  cores: 2,
  phaseMs: 1000,
  bullmq: {
    concurrency: 16,
    producers: 64,
    durationMs: 1000,
    throughput: 1000,
    redisCallsPerJob: 8,
    cpuMsPerJob: { worker: 0.2, producer: 0.2 },
  },
  engine: { 'seed-b1': { rows: 1, threads: 2, passes: 100, throughput: 4000, medianPassMs: 0.25 } },
  variants: [variant('seed-b1', true, 600), variant('seed-b1', false, 100), variant('tiny', true, 500)],
};

describe('the report', () => {
  it('draws one panel per scenario and two lines (p50, p99) per configuration, text escaped', () => {
    const svg = renderChart(report);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<polyline/g)).toHaveLength(2 * report.variants.length);
    expect(svg).toContain('>seed-b1<');
    expect(svg).toContain('>tiny<');
    expect(svg).toContain('engine alone');
    expect(svg).toContain('Test CPU &lt;8 cores>');
  });

  it('holds each figure to its target', () => {
    const lines = targets(report);
    expect(lines).toContain('tiny: 500 jobs/s through the API (batching on, 1 worker) = 50% of BullMQ alone (1000); target >= 40%: met');
    expect(lines.find((line) => line.startsWith('seed-b1, 1 worker'))).toMatch(
      /= 6\.0x \(target >= 5x: met\); p99 at 50% load 30 ms \(target < 50 ms: met\)/,
    );
    expect(
      markdownTable(report)
        .split('\n')
        .filter((line) => line.startsWith('| seed-b1')),
    ).toHaveLength(2);
  });
});
