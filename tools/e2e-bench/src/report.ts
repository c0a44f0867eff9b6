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
const batchingAndWorkers = (v: Pick<VariantResult, 'batching' | 'workers' | 'shards'>) =>
  `batching ${v.batching ? 'on' : 'off'}, ${plural(v.workers, 'worker')}${v.shards === undefined ? '' : `, ${plural(v.shards, 'shard')}`}`;

/** A configuration in words; the API processes named only when there are several. */
export const variantLabel = (v: Pick<VariantResult, 'batching' | 'workers' | 'apis' | 'shards'>) =>
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
    `Baselines in the same run: BullMQ alone (${report.bullmq.producers} producers adding jobs one at a time, a no-op worker process at concurrency ${report.bullmq.concurrency}) ${rate(report.bullmq.throughput)} jobs/s, ${report.bullmq.redisCallsPerJob.toFixed(1)} Redis commands and ${report.bullmq.cpuMsPerJob.worker.toFixed(2)} + ${report.bullmq.cpuMsPerJob.producer.toFixed(2)} CPU ms (worker + producer)${report.bullmq.redisCpuMsPerJob === undefined ? '' : ` + ${report.bullmq.redisCpuMsPerJob.toFixed(2)} Redis CPU ms`} per job; engine alone (ONNX Runtime, ${Object.values(report.engine)[0]?.threads ?? '-'} threads, one pass per request): ${Object.entries(
      report.engine,
    )
      .map(([name, e]) => `${name} ${rate(e.throughput)} requests/s (${ms(e.medianPassMs)} ms a pass)`)
      .join(', ')}.`,
  );
  return lines.join('\n');
}

const bytes = (value: number) => (value < 10_000 ? value.toFixed(0) : `${(value / 1024).toFixed(0)} KiB`);

/**
 * What each job asks of Redis, per configuration: commands, bytes in and out
 * (clients only), CPU, and the jobs one Redis core would carry at that cost;
 * on a cluster, each node's share (the shards and the registry it holds).
 */
export function redisTable(report: BenchReport): string {
  const lines = [
    '| scenario | configuration | APIs | max jobs/s | jobs per pass | p50 ms at 25% | Redis commands per job | Redis bytes per job in / out | Redis CPU ms per job | jobs/s per Redis core |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const v of report.variants) {
    const io = v.redisBytesPerJob ? `${bytes(v.redisBytesPerJob.in)} / ${bytes(v.redisBytesPerJob.out)}` : '-';
    const p50 = v.loads.find((l) => l.fraction === 0.25)?.latencyMs.p50 ?? Number.NaN;
    lines.push(
      `| ${v.scenario} | ${batchingAndWorkers(v)} | ${v.apis} | ${rate(v.saturation.throughput)} | ${v.saturation.batchJobs.toFixed(1)} | ${ms(p50)} | ${v.redisCallsPerJob.toFixed(1)} | ${io} | ${cpuMs(v.cpuMsPerJob.redis)} | ${rate(1000 / v.cpuMsPerJob.redis)} |`,
    );
  }
  const clustered = report.variants.filter((v) => v.redisNodes);
  if (clustered.length === 0) return lines.join('\n');
  lines.push(
    '',
    'Per cluster node (shards it holds; R: the registry), over the measured phases:',
    '',
    '| scenario | configuration | APIs | nodes: shards | Redis CPU cores per node | commands per job per node | Redis CPU ms per job per node |',
    '|---|---|--:|---|--:|--:|--:|',
  );
  for (const v of clustered) {
    const nodes = v.redisNodes ?? [];
    const holds = nodes.map((node) => `${node.shards.length > 0 ? node.shards.join(',') : '-'}${node.registry ? ' R' : ''}`).join(' / ');
    lines.push(
      `| ${v.scenario} | ${batchingAndWorkers(v)} | ${v.apis} | ${holds} | ${nodes.map((n) => n.cores.toFixed(2)).join(' / ')} | ${nodes.map((n) => n.callsPerJob.toFixed(1)).join(' / ')} | ${nodes.map((n) => cpuMs(n.cpuMsPerJob)).join(' / ')} |`,
    );
  }
  return lines.join('\n');
}

function best(report: BenchReport, scenario: string, filter: (v: VariantResult) => boolean = () => true): VariantResult | undefined {
  return report.variants
    .filter((v) => v.scenario === scenario && filter(v))
    .sort((a, b) => b.saturation.throughput - a.saturation.throughput)[0];
}

/** A latency percentile at a fraction of the variant's maximum load. */
function latencyAt(variant: VariantResult, fraction: number, percentile: 'p50' | 'p90' | 'p99'): number {
  return variant.loads.find((l) => l.fraction === fraction)?.latencyMs[percentile] ?? Number.NaN;
}

/** Each target of the end-to-end bench (benchmark figures, not test assertions), with the figure that meets it or not. */
export function targets(report: BenchReport): string[] {
  const lines: string[] = [];
  const verdict = (met: boolean) => (met ? 'met' : 'NOT met');
  const tiny = best(report, 'tiny', (v) => v.apis === 1);
  if (tiny) {
    const share = tiny.saturation.throughput / report.bullmq.throughput;
    const cpu = tiny.cpuMsPerJob.workers + tiny.cpuMsPerJob.api + tiny.cpuMsPerJob.redis;
    const p50 = latencyAt(tiny, 0.25, 'p50');
    const p99 = latencyAt(tiny, 0.5, 'p99');
    lines.push(
      `tiny: ${rate(tiny.saturation.throughput)} jobs/s through the API (${variantLabel(tiny)}) = ${(share * 100).toFixed(0)}% of BullMQ alone (${rate(report.bullmq.throughput)}); target >= 50%: ${verdict(share >= 0.5)}`,
      `tiny: CPU per job, workers + API + Redis, ${cpuMs(cpu)} ms (${cpuMs(tiny.cpuMsPerJob.workers)} + ${cpuMs(tiny.cpuMsPerJob.api)} + ${cpuMs(tiny.cpuMsPerJob.redis)}); target <= 2.0 ms: ${verdict(cpu <= 2)}`,
      `tiny: p50 at 25% load ${ms(p50)} ms (target <= 4 ms: ${verdict(p50 <= 4)}); p99 at 50% load ${ms(p99)} ms (target < 20 ms: ${verdict(p99 < 20)})`,
    );
  }
  const b64 = best(report, 'seed-b64');
  const engine = report.engine['seed-b64'];
  if (b64 && engine) {
    const share = b64.saturation.throughput / engine.throughput;
    lines.push(
      `seed-b64: ${rate(b64.saturation.throughput)} jobs/s through the API (${variantLabel(b64)}) = ${(share * 100).toFixed(0)}% of the engine alone (${rate(engine.throughput)}); target >= 50%: ${verdict(share >= 0.5)}`,
    );
  }
  const wideOn = best(report, 'wide-b1', (v) => v.batching && v.workers === 1);
  const wideOff = best(report, 'wide-b1', (v) => !v.batching && v.workers === 1);
  const widePass = report.engine['wide-b1']?.medianPassMs;
  if (wideOn && wideOff) {
    const ratio = wideOn.saturation.throughput / wideOff.saturation.throughput;
    lines.push(
      `wide-b1, 1 worker: micro-batching on ${rate(wideOn.saturation.throughput)} (${wideOn.saturation.batchJobs.toFixed(1)} jobs per pass) vs off ${rate(wideOff.saturation.throughput)} jobs/s = ${ratio.toFixed(1)}x; target >= 5x: ${verdict(ratio >= 5)}`,
    );
    if (tiny && widePass !== undefined) {
      const lone = latencyAt(wideOn, 0.25, 'p50');
      const bound = 1.5 * (widePass + latencyAt(tiny, 0.25, 'p50'));
      lines.push(
        `wide-b1, batching on: p50 at 25% load ${ms(lone)} ms against the pass (${ms(widePass)} ms) plus the tiny p50; target <= 1.5x that (${ms(bound)} ms): ${verdict(lone <= bound)}`,
      );
    }
  }
  for (const scenario of ['seed-b1', 'seed-b64']) {
    const on = best(report, scenario, (v) => v.batching && v.workers === 1);
    const off = best(report, scenario, (v) => !v.batching && v.workers === 1);
    if (on && off) {
      lines.push(
        `${scenario}, 1 worker: micro-batching on ${rate(on.saturation.throughput)} vs off ${rate(off.saturation.throughput)} jobs/s = ${(on.saturation.throughput / off.saturation.throughput).toFixed(1)}x`,
      );
    }
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
      const atMax = several.cpuMsPerJob.api / oneApi.cpuMsPerJob.api;
      const same = (v: VariantResult) => v.commonRate?.cpuMsPerJob.api;
      const [mine, theirs] = [same(several), same(oneApi)];
      const common =
        mine !== undefined && theirs !== undefined
          ? `; at the same ${rate(several.commonRate?.rate ?? 0)} requests/s, ${cpuMs(mine)} vs ${cpuMs(theirs)} = ${(mine / theirs).toFixed(2)}x; target <= 1.25x: ${verdict(mine / theirs <= 1.25)}`
          : `; target <= 1.25x: ${verdict(atMax <= 1.25)}`;
      lines.push(
        `tiny: ${plural(apis, 'API')} ${rate(several.saturation.throughput)} (${variantLabel(several)}) vs 1 API ${rate(oneApi.saturation.throughput)} jobs/s (${variantLabel(oneApi)}); API CPU ms per job, summed over the processes, over the whole run ${cpuMs(several.cpuMsPerJob.api)} vs ${cpuMs(oneApi.cpuMsPerJob.api)} = ${atMax.toFixed(2)}x${common}`,
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
  return `\n${header}\n\n${markdownTable(report)}\n\nWhat each job asks of Redis:\n\n${redisTable(report)}\n\nTargets:\n${targetLines}\n${options.chart ? `\nchart: ${options.chart}\n` : ''}`;
}
