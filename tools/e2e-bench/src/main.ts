#!/usr/bin/env node
/**
 * `npm run bench:e2e`: the whole path under load. A private Redis, the API
 * and K worker processes, load from a process of its own; per scenario and
 * configuration the most it sustains and the latencies at 25/50/75% of
 * that; the BullMQ-alone and engine-alone baselines in the same run; a table,
 * the targets, and a chart.
 *
 *   --scenario tiny,seed-b1,seed-b64,wide-b1   which scenarios (default: all)
 *   --workers 1,2                      worker processes per configuration
 *   --apis 1,3                         API processes per configuration, for every scenario
 *                                      (default: tiny 1 and 3, the others 1)
 *   --shards 1,3                       queue shards per configuration, on a local Redis Cluster
 *                                      (default: none, one plain redis-server); figures per node
 *   --masters 3                        masters of that cluster
 *   --phase-ms 3000                    length of each measured phase (at least 500)
 *   --soak 100000                      also run that many tiny jobs and watch memory
 *   --chart docs/e2e-bench.svg         where the chart goes ("" for none)
 *   --json                             print the figures as one JSON document instead
 *
 * stdout carries the table, or the JSON document alone; progress goes to
 * stderr, so `npm run --silent bench:e2e -- --json | jq` works.
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { keySlot, redisKeys } from '@ensembles/jobs';
import { type PrivateCluster, startPrivateCluster, startPrivateRedis } from '@ensembles/redis-testing';
import { EnsembleRegistry } from '@ensembles/registry';
import { parseWorkerConfig } from '@ensembles/worker';
import { Cluster, Redis } from 'ioredis';
import { bullmqNoopThroughput, type EngineBaseline, engineOnlyThroughput } from './baselines.js';
import { BenchOptionError, type BenchOptions, parseBenchOptions } from './bench-options.js';
import { planVariants } from './bench-plan.js';
import { renderChart } from './chart.js';
import { LoadClient } from './load-client.js';
import type { RedisNode } from './redis-stats.js';
import { type BenchReport, reportOutput, variantLabel } from './report.js';
import { type RedisTarget, runVariant, type VariantResult } from './run-scenario.js';
import { scenarioWeights } from './scenarios.js';
import { runSoak } from './soak.js';

const PREFIX = 'bench';
/** The workers run on their defaults but for threads and batching: the baseline takes their concurrency. */
const WORKER_CONCURRENCY = parseWorkerConfig({}).WORKER_CONCURRENCY;

function readOptions(): BenchOptions {
  try {
    return parseBenchOptions(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof BenchOptionError)) throw error;
    process.stderr.write(`bench:e2e: ${error.message}\n`);
    process.exit(2);
  }
}

const options = readOptions();
const { phaseMs } = options;
const chosen = options.scenarios;
const log = (line: string) => process.stderr.write(`${line}\n`);
const started = Date.now();
const redisServer = await startPrivateRedis({ args: ['--maxmemory-policy', 'noeviction'] });
const redis = new Redis(redisServer.url, { maxRetriesPerRequest: null });
const load = new LoadClient();
const plain: RedisTarget = {
  env: { REDIS_URL: redisServer.url },
  nodes: [{ name: `127.0.0.1:${redisServer.port}`, client: redis }],
  holdings: () => [{ shards: [0], registry: true }],
};
// With --shards: a local cluster, each node measured on a connection of its own.
const cluster = options.shardCounts ? await startLocalCluster(options.masters) : undefined;
try {
  const registries = [
    ...(!options.shardCounts || options.soakJobs > 0 ? [new EnsembleRegistry(redis, { keys: redisKeys(PREFIX) })] : []),
    ...(cluster ? [cluster.registry] : []),
  ];
  // Built once per scenario (seeded) and registered straight into Redis, as an upload would.
  const weights = new Map<string, Uint8Array>();
  for (const scenario of chosen) {
    log(`${scenario.name}: building and registering ${scenario.manifest.name} ...`);
    const bytes = scenarioWeights(scenario);
    weights.set(scenario.name, bytes);
    for (const registry of registries) await registry.register('default', scenario.manifest, bytes);
    const size = bytes.byteLength < 1e6 ? `${(bytes.byteLength / 1e3).toFixed(1)} kB` : `${(bytes.byteLength / 1e6).toFixed(1)} MB`;
    log(`${scenario.name}: ${size} of weights registered`);
  }

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
  for (const scenario of chosen) {
    const baseline = await engineOnlyThroughput(scenario, weights.get(scenario.name) as Uint8Array, phaseMs);
    engine[scenario.name] = baseline;
    log(`engine alone, ${scenario.name}: ${baseline.throughput.toFixed(1)} requests/s, ${baseline.medianPassMs.toFixed(2)} ms a pass`);
  }

  const plan = planVariants(options);
  const variants: VariantResult[] = [];
  for (const [i, { scenario, variant }] of plan.entries()) {
    log(`${scenario.name}, ${variantLabel(variant)} (${i + 1} of ${plan.length}) ...`);
    const target = variant.shards === undefined ? plain : (cluster?.target as RedisTarget);
    const result = await runVariant(scenario, variant, { redis: target, prefix: PREFIX, load, phaseMs });
    variants.push(result);
    log(
      `${scenario.name}, ${variantLabel(result)}: ${result.saturation.throughput.toFixed(0)} jobs/s max, p99 at 50% ${result.loads[1]?.latencyMs.p99.toFixed(1)} ms, ${result.saturation.batchJobs.toFixed(1)} jobs per pass; CPU ms per job: workers ${result.cpuMsPerJob.workers.toFixed(2)}, API${result.apis > 1 ? ` (${result.apis} processes)` : ''} ${result.cpuMsPerJob.api.toFixed(2)}, Redis ${result.cpuMsPerJob.redis.toFixed(2)}${result.redisNodes ? ` (per node ${result.redisNodes.map((node) => node.cpuMsPerJob.toFixed(2)).join(' / ')})` : ''}`,
    );
  }
  const { soakJobs } = options;
  const soak = soakJobs > 0 ? await runSoak(soakJobs, { redis, redisUrl: redisServer.url, prefix: PREFIX, load, log }) : undefined;

  const report: BenchReport = {
    date: new Date().toISOString().slice(0, 10),
    cpu: cpus()[0]?.model.trim() ?? 'unknown CPU',
    cores: availableParallelism(),
    phaseMs,
    workerConcurrency: WORKER_CONCURRENCY,
    bullmq,
    engine,
    variants,
    ...(soak ? { soak } : {}),
  };
  if (options.chart) writeFileSync(options.chart, renderChart(report));
  process.stdout.write(reportOutput(report, options));
  log(`bench:e2e took ${((Date.now() - started) / 1000).toFixed(0)} s`);
} finally {
  load.close();
  redis.disconnect();
  await cluster?.stop();
  await redisServer.stop();
}

/**
 * A local Redis Cluster of `masters` masters for the `--shards` runs: its
 * registry (hash-tagged keys), a connection to each node for its figures, and
 * which node holds which shard and the registry.
 */
async function startLocalCluster(masters: number) {
  log(`starting a local Redis Cluster of ${masters} masters ...`);
  const cluster: PrivateCluster = await startPrivateCluster({ masters, args: ['--maxmemory-policy', 'noeviction'] });
  const client = new Cluster(
    cluster.nodes.map(({ port }) => ({ host: '127.0.0.1', port })),
    { redisOptions: { maxRetriesPerRequest: null } },
  );
  const nodes: RedisNode[] = cluster.nodes.map(({ port, url }) => ({ name: `127.0.0.1:${port}`, client: new Redis(url) }));
  // CLUSTER SLOTS: [first, last, [host, port, id], ...replicas] per range.
  const ranges = ((await nodes[0]?.client.cluster('SLOTS')) ?? []) as unknown as [number, number, [string, number]][];
  const owner = (key: string) => {
    const slot = keySlot(key);
    const range = ranges.find(([first, last]) => slot >= first && slot <= last);
    return range ? `${range[2][0]}:${range[2][1]}` : '?';
  };
  const target: RedisTarget = {
    env: { REDIS_CLUSTER_NODES: cluster.nodesSetting },
    nodes,
    holdings(shards) {
      const keys = redisKeys(PREFIX, { layout: 'tagged', shards });
      return nodes.map(({ name }) => ({
        shards: keys.shards.filter((shard) => owner(shard.queue) === name).map((shard) => shard.index),
        registry: owner(keys.workers) === name,
      }));
    },
  };
  return {
    target,
    registry: new EnsembleRegistry(client, { keys: redisKeys(PREFIX, { layout: 'tagged' }) }),
    async stop() {
      client.disconnect();
      for (const node of nodes) node.client.disconnect();
      await cluster.stop();
    },
  };
}
