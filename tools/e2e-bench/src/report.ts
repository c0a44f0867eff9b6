/** The bench's figures as a Markdown table and the targets they are held to, or as one JSON document. */
import type { BullmqBaseline, EngineBaseline } from './baselines.js';
import type { VariantResult } from './run-scenario.js';

export interface BenchReport {
  readonly date: string;
  readonly cpu: string;
  readonly cores: number;
  readonly phaseMs: number;
  /** Jobs each worker takes from the queue at once (its default). */
  readonly workerConcurrency: number;
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
const cpuMs = (value: number) => (Number.isFinite(value) ? value.toFixed(2) : '-');

const plural = (count: number, noun: string, nouns = `${noun}s`) => `${count} ${count === 1 ? noun : nouns}`;

/** Batching and workers: the configuration column of the table (the API processes have their own). */
const batchingAndWorkers = (v: Pick<VariantResult, 'batching' | 'workers'>) =>
  `batching ${v.batching ? 'on' : 'off'}, ${plural(v.workers, 'worker')}`;

/** A configuration in words; the API processes named only when there are several. */
export const variantLabel = (v: Pick<VariantResult, 'batching' | 'workers' | 'apis'>) =>
  `${batchingAndWorkers(v)}${v.apis > 1 ? `, ${plural(v.apis, 'API')}` : ''}`;

/** One row per scenario and configuration. */
export function markdownTable(report: BenchReport): string {
  const lines = [
    '| scenario | configuration | APIs | max jobs/s | member-samples/s | p50 / p90 / p99 ms at 25% | at 50% | at 75% | queue overhead ms (50%) | jobs per pass | Redis commands per job | CPU cores: workers / APIs / Redis / load | CPU ms per job: workers / APIs / Redis / load | worker / API peak RSS MB | Redis MB before → after |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const v of report.variants) {
    const memberSamples = v.saturation.throughput * v.rows * v.members;
    const at = (fraction: number) => {
      const load = v.loads.find((l) => l.fraction === fraction);
      return load ? `${ms(load.latencyMs.p50)} / ${ms(load.latencyMs.p90)} / ${ms(load.latencyMs.p99)}` : '-';
    };
    const half = v.loads.find((l) => l.fraction === 0.5);
    const cpu = v.cpuMsPerJob;
    lines.push(
      `| ${v.scenario} | ${batchingAndWorkers(v)} | ${v.apis} | ${rate(v.saturation.throughput)} | ${rate(memberSamples)} | ${at(0.25)} | ${at(0.5)} | ${at(0.75)} | ${half ? ms(half.latencyMs.mean - half.computeMs) : '-'} | ${v.saturation.batchJobs.toFixed(1)} | ${v.redisCallsPerJob.toFixed(1)} | ${v.workerCores.toFixed(2)} / ${v.apiCores.toFixed(2)} / ${v.redisCores.toFixed(2)} / ${v.loadGeneratorCores.toFixed(2)} | ${cpuMs(cpu.workers)} / ${cpuMs(cpu.api)} / ${cpuMs(cpu.redis)} / ${cpuMs(cpu.loadGenerator)} | ${mb(v.workerPeakRssBytes)} / ${mb(v.apiPeakRssBytes)} | ${mb(v.redisMemoryBefore)} → ${mb(v.redisMemoryAfter)} |`,
    );
  }
  lines.push('');
  lines.push(
    'APIs: API processes, each on its own port, taking the requests in turn; their CPU is the sum over them, their peak RSS the largest of one.',
  );
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
  const oneApi = best(report, 'tiny', (v) => v.apis === 1);
  for (const apis of [...new Set(report.variants.filter((v) => v.scenario === 'tiny' && v.apis > 1).map((v) => v.apis))]) {
    const several = best(report, 'tiny', (v) => v.apis === apis);
    if (oneApi && several) {
      lines.push(
        `tiny: ${plural(apis, 'API')} ${rate(several.saturation.throughput)} (${variantLabel(several)}) vs 1 API ${rate(oneApi.saturation.throughput)} jobs/s (${variantLabel(oneApi)}) = ${(several.saturation.throughput / oneApi.saturation.throughput).toFixed(2)}x; API CPU ms per job ${cpuMs(several.cpuMsPerJob.api)} vs ${cpuMs(oneApi.cpuMsPerJob.api)}`,
      );
    }
  }
  for (const workers of [...new Set(report.variants.filter((v) => v.scenario === 'wide-b1').map((v) => v.workers))]) {
    const on = best(report, 'wide-b1', (v) => v.batching && v.workers === workers);
    const off = best(report, 'wide-b1', (v) => !v.batching && v.workers === workers);
    if (on && off) {
      lines.push(
        `wide-b1, ${plural(workers, 'worker')}: micro-batching on ${rate(on.saturation.throughput)} (${on.saturation.batchJobs.toFixed(1)} jobs per pass) vs off ${rate(off.saturation.throughput)} jobs/s = ${(on.saturation.throughput / off.saturation.throughput).toFixed(1)}x`,
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

/**
 * What the bench writes on stdout: the JSON document alone (`json`), or the
 * table, the targets and where the chart went. Progress goes to stderr.
 *
 * @example
 * process.stdout.write(reportOutput(report, { json: true, chart: '' }));
 */
export function reportOutput(report: BenchReport, options: { json: boolean; chart: string }): string {
  if (options.json) return `${JSON.stringify(report, null, 2)}\n`;
  const header = `${report.cpu}, ${report.cores} cores, ${report.date}; phases of ${report.phaseMs} ms, worker concurrency ${report.workerConcurrency}, ONNX Runtime threads per worker = cores / workers`;
  const targetLines = targets(report)
    .map((line) => `- ${line}`)
    .join('\n');
  return `\n${header}\n\n${markdownTable(report)}\n\nTargets:\n${targetLines}\n${options.chart ? `\nchart: ${options.chart}\n` : ''}`;
}
