/** The bench's figures as a Markdown table and the targets they are held to. */
import type { BullmqBaseline, EngineBaseline } from './baselines.js';
import type { VariantResult } from './run-scenario.js';

export interface BenchReport {
  readonly date: string;
  readonly cpu: string;
  readonly cores: number;
  readonly phaseMs: number;
  readonly bullmq: BullmqBaseline;
  readonly engine: Record<string, EngineBaseline>;
  readonly variants: readonly VariantResult[];
  readonly soak?: SoakReport;
}

export interface SoakReport {
  readonly jobs: number;
  /** Samples every `jobs / samples.length` jobs: worker RSS and Redis memory. */
  readonly samples: ReadonlyArray<{ readonly jobs: number; readonly workerRssBytes: number; readonly redisBytes: number }>;
}

const ms = (value: number) => (Number.isFinite(value) ? (value < 10 ? value.toFixed(1) : value.toFixed(0)) : '-');
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)}`;
const rate = (value: number) => (value < 100 ? value.toFixed(1) : value.toFixed(0));

export const variantLabel = (v: Pick<VariantResult, 'batching' | 'workers'>) =>
  `batching ${v.batching ? 'on' : 'off'}, ${v.workers} worker${v.workers > 1 ? 's' : ''}`;

/** One row per scenario and configuration. */
export function markdownTable(report: BenchReport): string {
  const lines = [
    '| scenario | configuration | max jobs/s | member-samples/s | p50 / p90 / p99 ms at 25% | at 50% | at 75% | queue overhead ms (50%) | jobs per pass | Redis commands per job | CPU cores: workers / API / Redis / load | worker / API peak RSS MB | Redis MB before → after |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const v of report.variants) {
    const memberSamples = v.saturation.throughput * v.rows * v.members;
    const at = (fraction: number) => {
      const load = v.loads.find((l) => l.fraction === fraction);
      return load ? `${ms(load.latencyMs.p50)} / ${ms(load.latencyMs.p90)} / ${ms(load.latencyMs.p99)}` : '-';
    };
    const half = v.loads.find((l) => l.fraction === 0.5);
    lines.push(
      `| ${v.scenario} | ${variantLabel(v)} | ${rate(v.saturation.throughput)} | ${rate(memberSamples)} | ${at(0.25)} | ${at(0.5)} | ${at(0.75)} | ${half ? ms(half.latencyMs.mean - half.computeMs) : '-'} | ${v.saturation.batchJobs.toFixed(1)} | ${v.redisCallsPerJob.toFixed(1)} | ${v.workerCores.toFixed(2)} / ${v.apiCores.toFixed(2)} / ${v.redisCores.toFixed(2)} / ${v.loadGeneratorCores.toFixed(2)} | ${mb(v.workerPeakRssBytes)} / ${mb(v.apiPeakRssBytes)} | ${mb(v.redisMemoryBefore)} → ${mb(v.redisMemoryAfter)} |`,
    );
  }
  lines.push('');
  lines.push(
    `Baselines in the same run: BullMQ alone (${report.bullmq.producers} producers adding jobs one at a time, a no-op worker process at concurrency ${report.bullmq.concurrency}) ${rate(report.bullmq.throughput)} jobs/s, ${report.bullmq.redisCallsPerJob.toFixed(1)} Redis commands and ${report.bullmq.cpuMsPerJob.worker.toFixed(2)} + ${report.bullmq.cpuMsPerJob.producer.toFixed(2)} CPU ms (worker + producer) per job; engine alone (ONNX Runtime, ${Object.values(report.engine)[0]?.threads ?? '-'} threads, one pass per request): ${Object.entries(
      report.engine,
    )
      .map(([name, e]) => `${name} ${rate(e.throughput)} requests/s (${ms(e.medianPassMs)} ms a pass)`)
      .join(', ')}.`,
  );
  return lines.join('\n');
}

function best(report: BenchReport, scenario: string, filter: (v: VariantResult) => boolean = () => true): VariantResult | undefined {
  return report.variants
    .filter((v) => v.scenario === scenario && filter(v))
    .sort((a, b) => b.saturation.throughput - a.saturation.throughput)[0];
}

/** Each target of the end-to-end bench, with the figure that meets it or not. */
export function targets(report: BenchReport): string[] {
  const lines: string[] = [];
  const verdict = (met: boolean) => (met ? 'met' : 'NOT met');
  const tiny = best(report, 'tiny');
  if (tiny) {
    const share = tiny.saturation.throughput / report.bullmq.throughput;
    lines.push(
      `tiny: ${rate(tiny.saturation.throughput)} jobs/s through the API (${variantLabel(tiny)}) = ${(share * 100).toFixed(0)}% of BullMQ alone (${rate(report.bullmq.throughput)}); target >= 40%: ${verdict(share >= 0.4)}`,
    );
  }
  for (const workers of [1, 2]) {
    const on = best(report, 'seed-b1', (v) => v.batching && v.workers === workers);
    const off = best(report, 'seed-b1', (v) => !v.batching && v.workers === workers);
    if (on && off) {
      const ratio = on.saturation.throughput / off.saturation.throughput;
      const p99 = on.loads.find((l) => l.fraction === 0.5)?.latencyMs.p99 ?? Number.NaN;
      lines.push(
        `seed-b1, ${workers} worker${workers > 1 ? 's' : ''}: micro-batching on ${rate(on.saturation.throughput)} vs off ${rate(off.saturation.throughput)} jobs/s = ${ratio.toFixed(1)}x (target >= 5x: ${verdict(ratio >= 5)}); p99 at 50% load ${ms(p99)} ms (target < 50 ms: ${verdict(p99 < 50)})`,
      );
    }
  }
  const b64 = best(report, 'seed-b64');
  const engine = report.engine['seed-b64'];
  if (b64 && engine) {
    const share = b64.saturation.throughput / engine.throughput;
    lines.push(
      `seed-b64: ${rate(b64.saturation.throughput)} jobs/s through the API (${variantLabel(b64)}) = ${(share * 100).toFixed(0)}% of the engine alone (${rate(engine.throughput)}); target >= 70%: ${verdict(share >= 0.7)}`,
    );
  }
  for (const scenario of ['seed-b1', 'seed-b64']) {
    const one = best(report, scenario, (v) => v.workers === 1);
    const two = best(report, scenario, (v) => v.workers === 2);
    if (one && two) {
      lines.push(
        `${scenario}: 2 workers ${rate(two.saturation.throughput)} vs 1 worker ${rate(one.saturation.throughput)} jobs/s (${(two.saturation.throughput / one.saturation.throughput).toFixed(2)}x)`,
      );
    }
  }
  if (report.soak) {
    const { samples } = report.soak;
    const settled = samples[Math.floor(samples.length / 5)] ?? samples[0];
    const last = samples.at(-1);
    if (settled && last) {
      const rss = last.workerRssBytes / settled.workerRssBytes - 1;
      const redis = last.redisBytes / settled.redisBytes - 1;
      lines.push(
        `soak, ${report.soak.jobs} tiny jobs: worker RSS ${mb(settled.workerRssBytes)} → ${mb(last.workerRssBytes)} MB (${(rss * 100).toFixed(1)}%), Redis ${mb(settled.redisBytes)} → ${mb(last.redisBytes)} MB (${(redis * 100).toFixed(1)}%) from ${settled.jobs} jobs on; target within 10%: ${verdict(Math.abs(rss) <= 0.1 && Math.abs(redis) <= 0.1)}`,
      );
    }
  }
  return lines;
}
