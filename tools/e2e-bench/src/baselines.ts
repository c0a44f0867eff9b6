/**
 * What a user would compare the system against, measured in the same run:
 * BullMQ alone (a no-op processor on the same Redis, at the workers'
 * concurrency) and the engine alone (the same ensemble and request size, no
 * HTTP, no queue).
 */
import { fork } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { createEngine, loadStackedEnsemble, parseManifest, randomInput, readSafetensors } from '@ensembles/core';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { redisCommandCalls, redisCpuSeconds } from './redis-stats.js';
import { type Scenario, scenarioInputShape } from './scenarios.js';
import { processCost } from './system-under-test.js';

export interface BullmqBaseline {
  readonly concurrency: number;
  readonly producers: number;
  readonly durationMs: number;
  /** Jobs per second completed while a producer keeps adding them (the worker in a process of its own). */
  readonly throughput: number;
  /** Redis commands per completed job. */
  readonly redisCallsPerJob: number;
  /** Redis CPU milliseconds per completed job. */
  readonly redisCpuMsPerJob?: number;
  /** CPU milliseconds per completed job: the no-op worker process, the producer. */
  readonly cpuMsPerJob: { readonly worker: number; readonly producer: number };
}

/**
 * BullMQ alone, sustained: `producers` loops add jobs one at a time (as the
 * API does) for `durationMs` while a no-op worker at `concurrency` in another
 * process completes them, with the retention the service uses. Throughput
 * counts the jobs completed in that window.
 */
export async function bullmqNoopThroughput(
  redisUrl: string,
  prefix: string,
  options: { concurrency: number; producers: number; durationMs: number },
): Promise<BullmqBaseline> {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue('noop', { connection, prefix });
  const worker = fork(new URL('./noop-worker.js', import.meta.url), [redisUrl, prefix, 'noop', String(options.concurrency)], {
    // stdout carries the report alone (`--json`): the worker's output goes to stderr.
    stdio: ['ignore', 2, 2, 'ipc'],
  });
  try {
    await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('exit', (code) => reject(new Error(`the no-op worker exited (code ${code})`)));
    });
    const completed = async () => (await queue.getJobCountByTypes('completed')) ?? 0;
    const retention = { removeOnComplete: { age: 3600, count: 1_000_000 } };
    const add = async (until: number) => {
      for (let i = 0; performance.now() < until; i++) await queue.add('noop', { i }, retention);
    };
    await add(performance.now() + 500); // warm up
    const before = await completed();
    const callsBefore = await redisCommandCalls(connection);
    const redisBefore = await redisCpuSeconds(connection);
    const [workerBefore, producerBefore] = [processCost(worker.pid).cpuSeconds, process.cpuUsage()];
    const start = performance.now();
    await Promise.all(Array.from({ length: options.producers }, () => add(start + options.durationMs)));
    const elapsed = performance.now() - start;
    const workerCpu = processCost(worker.pid).cpuSeconds - workerBefore;
    const producer = process.cpuUsage(producerBefore);
    const jobs = (await completed()) - before;
    const redisCallsPerJob = ((await redisCommandCalls(connection)) - callsBefore) / jobs;
    const redisCpuMsPerJob = (((await redisCpuSeconds(connection)) - redisBefore) * 1000) / jobs;
    return {
      ...options,
      throughput: jobs * (1000 / elapsed),
      redisCallsPerJob,
      redisCpuMsPerJob,
      cpuMsPerJob: { worker: (workerCpu * 1000) / jobs, producer: (producer.user + producer.system) / 1000 / jobs },
    };
  } finally {
    worker.kill('SIGTERM');
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    connection.disconnect();
  }
}

export interface EngineBaseline {
  readonly rows: number;
  readonly threads: number;
  readonly passes: number;
  /** Requests of `rows` rows per second, one forward pass each. */
  readonly throughput: number;
  readonly medianPassMs: number;
}

/** Forward passes of the scenario's request size (its stacked `weights` as registered), back to back for `durationMs`, on ONNX Runtime with every core. */
export async function engineOnlyThroughput(scenario: Scenario, weights: Uint8Array, durationMs: number): Promise<EngineBaseline> {
  const threads = availableParallelism();
  const engine = createEngine('onnx', { threads });
  try {
    const architecture = parseManifest(scenario.manifest);
    const compiled = await engine.compile(loadStackedEnsemble(architecture, readSafetensors(weights).tensors));
    const input = randomInput(scenarioInputShape(scenario), 1);
    for (let i = 0; i < 20; i++) await compiled.run(input, { mode: 'shared' });
    const times: number[] = [];
    const start = performance.now();
    while (performance.now() - start < durationMs) {
      const before = performance.now();
      await compiled.run(input, { mode: 'shared' });
      times.push(performance.now() - before);
    }
    const elapsed = performance.now() - start;
    await compiled.dispose();
    times.sort((a, b) => a - b);
    return {
      rows: scenario.rows,
      threads,
      passes: times.length,
      throughput: (times.length * 1000) / elapsed,
      medianPassMs: times[Math.floor(times.length / 2)] ?? Number.NaN,
    };
  } finally {
    await engine.dispose();
  }
}
