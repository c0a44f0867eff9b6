#!/usr/bin/env node
/**
 * `npm run bench:e2e`: the whole path under load. A private Redis, the API
 * and K worker processes, load from a process of its own; per scenario and
 * configuration the most it sustains and the latencies at 25/50/75% of
 * that; the BullMQ-alone and engine-alone baselines in the same run; a table,
 * the targets, and a chart.
 *
 *   --scenario tiny,seed-b1,seed-b64   which scenarios (default: all)
 *   --workers 1,2                      worker processes per configuration
 *   --phase-ms 3000                    length of each measured phase
 *   --soak 100000                      also run that many tiny jobs and watch memory
 *   --chart docs/e2e-bench.svg         where the chart goes ("" for none)
 *   --json                             print the figures as JSON instead
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { redisKeys } from '@ensembles/jobs';
import { startPrivateRedis } from '@ensembles/redis-testing';
import { EnsembleRegistry } from '@ensembles/registry';
import { parseWorkerConfig } from '@ensembles/worker';
import { Redis } from 'ioredis';
import { bullmqNoopThroughput, type EngineBaseline, engineOnlyThroughput } from './baselines.js';
import { renderChart } from './chart.js';
import { LoadClient } from './load-client.js';
import { type BenchReport, markdownTable, targets, variantLabel } from './report.js';
import { runVariant, type VariantResult } from './run-scenario.js';
import { scenarios, scenarioWeights } from './scenarios.js';
import { runSoak } from './soak.js';

const PREFIX = 'bench';
/** The workers run on their defaults but for threads and batching: the baseline takes their concurrency. */
const WORKER_CONCURRENCY = parseWorkerConfig({}).WORKER_CONCURRENCY;

const { values } = parseArgs({
  options: {
    scenario: { type: 'string', default: scenarios.map((s) => s.name).join(',') },
    workers: { type: 'string', default: '1,2' },
    'phase-ms': { type: 'string', default: '3000' },
    soak: { type: 'string', default: '0' },
    chart: { type: 'string', default: 'docs/e2e-bench.svg' },
    json: { type: 'boolean', default: false },
  },
});

function fail(message: string): never {
  process.stderr.write(`bench:e2e: ${message}\n`);
  process.exit(2);
}

const chosen = values.scenario.split(',').map((name) => scenarios.find((s) => s.name === name) ?? fail(`no scenario named "${name}"`));
const workerCounts = values.workers.split(',').map((w) => (/^[1-9]\d*$/.test(w) ? Number(w) : fail(`--workers: "${w}" is not a count`)));
const phaseMs = Number(values['phase-ms']);
if (!(phaseMs >= 500)) fail('--phase-ms must be at least 500');
const soakJobs = Number(values.soak);
if (!Number.isInteger(soakJobs) || soakJobs < 0) fail('--soak must be a count of jobs');

const log = (line: string) => process.stderr.write(`${line}\n`);
const started = Date.now();
const redisServer = await startPrivateRedis({ args: ['--maxmemory-policy', 'noeviction'] });
const redis = new Redis(redisServer.url, { maxRetriesPerRequest: null });
const load = new LoadClient();
try {
  const registry = new EnsembleRegistry(redis, { keys: redisKeys(PREFIX) });
  const weights = new Map(chosen.map((scenario) => [scenario.name, scenarioWeights(scenario)]));
  for (const scenario of chosen) await registry.register('default', scenario.manifest, weights.get(scenario.name) as Uint8Array);

  log(`baselines: BullMQ alone, engine alone (${phaseMs} ms each) ...`);
  const bullmq = await bullmqNoopThroughput(redisServer.url, `${PREFIX}-noop`, {
    concurrency: WORKER_CONCURRENCY,
    producers: 64,
    durationMs: phaseMs,
  });
  log(
    `BullMQ alone: ${bullmq.throughput.toFixed(0)} jobs/s, ${bullmq.redisCallsPerJob.toFixed(1)} Redis commands per job, CPU ms per job: worker ${bullmq.cpuMsPerJob.worker.toFixed(2)}, producer ${bullmq.cpuMsPerJob.producer.toFixed(2)}`,
  );
  const engine: Record<string, EngineBaseline> = {};
  for (const scenario of chosen)
    engine[scenario.name] = await engineOnlyThroughput(scenario, weights.get(scenario.name) as Uint8Array, phaseMs);

  const variants: VariantResult[] = [];
  for (const scenario of chosen) {
    for (const batching of [true, false]) {
      for (const workers of workerCounts) {
        const result = await runVariant(
          scenario,
          { batching, workers },
          { redis, redisUrl: redisServer.url, prefix: PREFIX, load, phaseMs },
        );
        variants.push(result);
        log(
          `${scenario.name}, ${variantLabel(result)}: ${result.saturation.throughput.toFixed(0)} jobs/s max, p99 at 50% ${result.loads[1]?.latencyMs.p99.toFixed(1)} ms, ${result.saturation.batchJobs.toFixed(1)} jobs per pass; CPU ms per job: workers ${result.cpuMsPerJob.workers.toFixed(2)}, API ${result.cpuMsPerJob.api.toFixed(2)}, Redis ${result.cpuMsPerJob.redis.toFixed(2)}`,
        );
      }
    }
  }
  const soak = soakJobs > 0 ? await runSoak(soakJobs, { redis, redisUrl: redisServer.url, prefix: PREFIX, load, log }) : undefined;

  const report: BenchReport = {
    date: new Date().toISOString().slice(0, 10),
    cpu: cpus()[0]?.model.trim() ?? 'unknown CPU',
    cores: availableParallelism(),
    phaseMs,
    bullmq,
    engine,
    variants,
    ...(soak ? { soak } : {}),
  };
  if (values.chart) writeFileSync(values.chart, renderChart(report));
  if (values.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else {
    process.stdout.write(
      `\n${report.cpu}, ${report.cores} cores, ${report.date}; phases of ${phaseMs} ms, worker concurrency ${WORKER_CONCURRENCY}, ONNX Runtime threads per worker = cores / workers\n\n`,
    );
    process.stdout.write(
      `${markdownTable(report)}\n\nTargets:\n${targets(report)
        .map((line) => `- ${line}`)
        .join('\n')}\n`,
    );
    if (values.chart) process.stdout.write(`\nchart: ${values.chart}\n`);
  }
  log(`bench:e2e took ${((Date.now() - started) / 1000).toFixed(0)} s`);
} finally {
  load.close();
  redis.disconnect();
  await redisServer.stop();
}
