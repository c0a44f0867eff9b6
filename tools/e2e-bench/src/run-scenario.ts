/**
 * One scenario in one configuration (micro-batching on or off, K worker
 * processes, K API processes, on one Redis or on a cluster with K queue
 * shards): start the system fresh, warm it up (until
 * answers come: the first jobs compile the ensemble), find the most it sustains
 * with a closed loop, then offer 25%, 50% and 75% of that in an open loop and
 * record latencies, what the processes cost and what Redis holds.
 */
import { availableParallelism } from 'node:os';
import type { LoadClient } from './load-client.js';
import type { PhaseResult } from './load-generator.js';
import { type NodeSample, type RedisNode, sampleNodes } from './redis-stats.js';
import { type Scenario, scenarioRequest } from './scenarios.js';
import { type ProcessCost, processCost, SystemUnderTest } from './system-under-test.js';

export interface Variant {
  readonly batching: boolean;
  readonly workers: number;
  /** API processes, each on its own port; the load goes to them in turn. */
  readonly apis: number;
  /** Queue shards on a local Redis Cluster (`QUEUE_SHARDS`); absent: one plain Redis. */
  readonly shards?: number;
}

/** Where a variant's Redis is: the settings that name it, and its servers (one, or the cluster's masters). */
export interface RedisTarget {
  readonly env: Readonly<Record<string, string>>;
  readonly nodes: readonly RedisNode[];
  /** What each node holds for `shards` shards: which shards, and whether the registry. */
  holdings(shards: number): { shards: number[]; registry: boolean }[];
}

/** One Redis server's share of a variant's work over its measured phases. */
export interface RedisNodeResult {
  readonly node: string;
  /** The queue shards it holds, and whether it holds the registry (and the workers' announcements). */
  readonly shards: readonly number[];
  readonly registry: boolean;
  readonly cores: number;
  readonly callsPerJob: number;
  readonly cpuMsPerJob: number;
}

export interface VariantResult extends Variant {
  readonly scenario: string;
  readonly rows: number;
  readonly members: number;
  readonly threadsPerWorker: number;
  /** The closed-loop run at the scenario's concurrency. */
  readonly saturation: PhaseResult;
  /** Open-loop runs at fractions of the saturation throughput. */
  readonly loads: ReadonlyArray<PhaseResult & { readonly fraction: number }>;
  /** The open-loop run at the scenario's `commonRate`, with what the workers and the API processes cost per job in it. */
  readonly commonRate?: PhaseResult & { readonly rate: number; readonly cpuMsPerJob: { readonly workers: number; readonly api: number } };
  /** CPU cores the workers (together) and the API processes (together) used over the measured phases. */
  readonly workerCores: number;
  readonly apiCores: number;
  readonly redisCores: number;
  readonly loadGeneratorCores: number;
  /** The largest peak RSS of one worker process, of one API process. */
  readonly workerPeakRssBytes: number;
  readonly apiPeakRssBytes: number;
  /** Redis commands per completed job over the measured phases (what every part of the path asks of Redis). */
  readonly redisCallsPerJob: number;
  /** Bytes Redis received and sent per completed job over the measured phases (clients only, not replication). */
  readonly redisBytesPerJob?: { readonly in: number; readonly out: number };
  /** Per Redis server, on a cluster. */
  readonly redisNodes?: readonly RedisNodeResult[];
  /**
   * CPU milliseconds per completed job over the measured phases, by kind of
   * process, each kind summed over its processes (`api`: every API process)
   * — less sensitive to a noisy machine than rates.
   */
  readonly cpuMsPerJob: { readonly workers: number; readonly api: number; readonly redis: number; readonly loadGenerator: number };
  readonly redisMemoryBefore: number;
  readonly redisMemoryAfter: number;
}

export const LOAD_FRACTIONS = [0.25, 0.5, 0.75] as const;
/** How long the warm-up waits for a first answer (compiling a large ensemble takes a while on a small machine). */
const WARM_UP_DEADLINE_MS = 300_000;

const sumCpu = (costs: readonly ProcessCost[]) => costs.reduce((total, cost) => total + cost.cpuSeconds, 0);
const sum = (samples: readonly NodeSample[], field: keyof NodeSample) => samples.reduce((total, sample) => total + sample[field], 0);

export async function runVariant(
  scenario: Scenario,
  variant: Variant,
  context: { redis: RedisTarget; prefix: string; load: LoadClient; phaseMs: number },
): Promise<VariantResult> {
  const threadsPerWorker = Math.max(1, Math.floor(availableParallelism() / variant.workers));
  const { nodes } = context.redis;
  const redisMemoryBefore = sum(await sampleNodes(nodes), 'usedMemory');
  const system = await SystemUnderTest.start({
    redisEnv: { ...context.redis.env, ...(variant.shards === undefined ? {} : { QUEUE_SHARDS: String(variant.shards) }) },
    redisPrefix: context.prefix,
    apis: variant.apis,
    workers: variant.workers,
    workerEnv: {
      ENSEMBLE_THREADS: String(threadsPerWorker),
      // Off: a pass never takes more than one request.
      ...(variant.batching ? {} : { BATCH_MAX_ROWS: '1' }),
    },
  });
  try {
    const spec = scenarioRequest(scenario, system.apiUrls);
    const warmUp = { kind: 'closed', concurrency: scenario.concurrency, durationMs: Math.min(1500, context.phaseMs) } as const;
    // Until a phase has answers: the first jobs wait for the workers to compile the ensemble.
    for (const deadline = performance.now() + WARM_UP_DEADLINE_MS; ; ) {
      const phase = await context.load.run(spec, warmUp);
      if (phase.ok > 0) break;
      if (performance.now() > deadline)
        throw new Error(
          `${scenario.name}: no answers within ${WARM_UP_DEADLINE_MS / 1000} s of warm-up: ${JSON.stringify(phase.failures)}`,
        );
    }
    const before = system.cost();
    const [redisBefore, loadBefore] = [await sampleNodes(nodes), processCost(context.load.pid)];
    const startedAt = performance.now();
    const saturation = await context.load.run(spec, { kind: 'closed', concurrency: scenario.concurrency, durationMs: context.phaseMs });
    const loads: Array<PhaseResult & { fraction: number }> = [];
    for (const fraction of LOAD_FRACTIONS) {
      const rate = Math.max(1, saturation.throughput * fraction);
      loads.push({ fraction, ...(await context.load.run(spec, { kind: 'open', rate, durationMs: context.phaseMs })) });
    }
    const seconds = (performance.now() - startedAt) / 1000;
    const jobs = saturation.ok + loads.reduce((total, load) => total + load.ok, 0);
    const after = system.cost();
    const commonRate = scenario.commonRate === undefined ? undefined : await runCommonRate(system, spec, scenario.commonRate, context);
    const [redisSamples, loadAfter] = [await sampleNodes(nodes), processCost(context.load.pid)];
    const delta = (field: keyof NodeSample) => sum(redisSamples, field) - sum(redisBefore, field);
    const [redisAfter, callsAfter] = [sum(redisSamples, 'cpuSeconds'), sum(redisSamples, 'calls')];
    const [redisCpuBefore, callsBefore] = [sum(redisBefore, 'cpuSeconds'), sum(redisBefore, 'calls')];
    const holdings = variant.shards === undefined ? undefined : context.redis.holdings(variant.shards);
    return {
      scenario: scenario.name,
      rows: scenario.rows,
      members: scenario.manifest.members,
      ...variant,
      threadsPerWorker,
      saturation,
      loads,
      ...(commonRate ? { commonRate } : {}),
      workerCores: (sumCpu(after.workers) - sumCpu(before.workers)) / seconds,
      apiCores: (sumCpu(after.apis) - sumCpu(before.apis)) / seconds,
      redisCores: (redisAfter - redisCpuBefore) / seconds,
      loadGeneratorCores: (loadAfter.cpuSeconds - loadBefore.cpuSeconds) / seconds,
      redisCallsPerJob: (callsAfter - callsBefore) / jobs,
      redisBytesPerJob: { in: delta('netInBytes') / jobs, out: delta('netOutBytes') / jobs },
      ...(holdings
        ? {
            redisNodes: nodes.map((node, i) => {
              const [b, a] = [redisBefore[i] as NodeSample, redisSamples[i] as NodeSample];
              return {
                node: node.name,
                shards: holdings[i]?.shards ?? [],
                registry: holdings[i]?.registry ?? false,
                cores: (a.cpuSeconds - b.cpuSeconds) / seconds,
                callsPerJob: (a.calls - b.calls) / jobs,
                cpuMsPerJob: ((a.cpuSeconds - b.cpuSeconds) * 1000) / jobs,
              };
            }),
          }
        : {}),
      cpuMsPerJob: {
        workers: ((sumCpu(after.workers) - sumCpu(before.workers)) * 1000) / jobs,
        api: ((sumCpu(after.apis) - sumCpu(before.apis)) * 1000) / jobs,
        redis: ((redisAfter - redisCpuBefore) * 1000) / jobs,
        loadGenerator: ((loadAfter.cpuSeconds - loadBefore.cpuSeconds) * 1000) / jobs,
      },
      workerPeakRssBytes: Math.max(...after.workers.map((w) => w.peakRssBytes)),
      apiPeakRssBytes: Math.max(...after.apis.map((a) => a.peakRssBytes)),
      redisMemoryBefore,
      redisMemoryAfter: sum(await sampleNodes(nodes), 'usedMemory'),
    };
  } finally {
    await system.stop();
  }
}

/** An open loop at `rate`, and the CPU the workers and the API processes spent per job in it. */
async function runCommonRate(
  system: SystemUnderTest,
  spec: ReturnType<typeof scenarioRequest>,
  rate: number,
  context: { load: LoadClient; phaseMs: number },
): Promise<NonNullable<VariantResult['commonRate']>> {
  const before = system.cost();
  const phase = await context.load.run(spec, { kind: 'open', rate, durationMs: context.phaseMs });
  const after = system.cost();
  const perJob = (kind: 'workers' | 'apis') => ((sumCpu(after[kind]) - sumCpu(before[kind])) * 1000) / Math.max(1, phase.ok);
  return { ...phase, rate, cpuMsPerJob: { workers: perJob('workers'), api: perJob('apis') } };
}
