/**
 * One scenario in one configuration (micro-batching on or off, K worker
 * processes, K API processes): start the system fresh, warm it up (until
 * answers come: the first jobs compile the ensemble), find the most it sustains
 * with a closed loop, then offer 25%, 50% and 75% of that in an open loop and
 * record latencies, what the processes cost and what Redis holds.
 */
import { availableParallelism } from 'node:os';
import type { Redis } from 'ioredis';
import type { LoadClient } from './load-client.js';
import type { PhaseResult } from './load-generator.js';
import { redisCommandCalls, redisCpuSeconds, usedMemory } from './redis-stats.js';
import { type Scenario, scenarioRequest } from './scenarios.js';
import { type ProcessCost, processCost, SystemUnderTest } from './system-under-test.js';

export interface Variant {
  readonly batching: boolean;
  readonly workers: number;
  /** API processes, each on its own port; the load goes to them in turn. */
  readonly apis: number;
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

export async function runVariant(
  scenario: Scenario,
  variant: Variant,
  context: { redis: Redis; redisUrl: string; prefix: string; load: LoadClient; phaseMs: number },
): Promise<VariantResult> {
  const threadsPerWorker = Math.max(1, Math.floor(availableParallelism() / variant.workers));
  const redisMemoryBefore = await usedMemory(context.redis);
  const system = await SystemUnderTest.start({
    redisUrl: context.redisUrl,
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
    const [redisBefore, loadBefore, callsBefore] = [
      await redisCpuSeconds(context.redis),
      processCost(context.load.pid),
      await redisCommandCalls(context.redis),
    ];
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
    const [redisAfter, loadAfter, callsAfter] = [
      await redisCpuSeconds(context.redis),
      processCost(context.load.pid),
      await redisCommandCalls(context.redis),
    ];
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
      redisCores: (redisAfter - redisBefore) / seconds,
      loadGeneratorCores: (loadAfter.cpuSeconds - loadBefore.cpuSeconds) / seconds,
      redisCallsPerJob: (callsAfter - callsBefore) / jobs,
      cpuMsPerJob: {
        workers: ((sumCpu(after.workers) - sumCpu(before.workers)) * 1000) / jobs,
        api: ((sumCpu(after.apis) - sumCpu(before.apis)) * 1000) / jobs,
        redis: ((redisAfter - redisBefore) * 1000) / jobs,
        loadGenerator: ((loadAfter.cpuSeconds - loadBefore.cpuSeconds) * 1000) / jobs,
      },
      workerPeakRssBytes: Math.max(...after.workers.map((w) => w.peakRssBytes)),
      apiPeakRssBytes: Math.max(...after.apis.map((a) => a.peakRssBytes)),
      redisMemoryBefore,
      redisMemoryAfter: await usedMemory(context.redis),
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
