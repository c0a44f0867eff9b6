/**
 * A long run of `tiny` jobs through one worker on the default settings
 * (retention included), sampling the worker's RSS and Redis' memory as it
 * goes: both should settle and stay flat.
 */
import type { Redis } from 'ioredis';
import type { LoadClient } from './load-client.js';
import { usedMemory } from './redis-stats.js';
import type { SoakReport } from './report.js';
import { scenarioRequest, scenarios } from './scenarios.js';
import { SystemUnderTest } from './system-under-test.js';

const SAMPLES = 10;

export async function runSoak(
  jobs: number,
  context: { redis: Redis; redisUrl: string; prefix: string; load: LoadClient; log: (line: string) => void },
): Promise<SoakReport> {
  const tiny = scenarios.find((s) => s.name === 'tiny');
  if (!tiny) throw new Error('the soak runs the tiny scenario');
  const system = await SystemUnderTest.start({
    redisEnv: { REDIS_URL: context.redisUrl },
    redisPrefix: context.prefix,
    apis: 1,
    workers: 1,
    workerEnv: {},
  });
  try {
    const spec = scenarioRequest(tiny, system.apiUrls);
    const samples: SoakReport['samples'][number][] = [];
    let done = 0;
    // Short closed-loop phases until `jobs` have completed; a sample after each tenth.
    let nextSample = jobs / SAMPLES;
    while (done < jobs) {
      const phase = await context.load.run(spec, { kind: 'closed', concurrency: tiny.concurrency, durationMs: 1000 });
      done += phase.ok;
      if (phase.ok === 0) throw new Error(`the soak stalled after ${done} jobs: ${JSON.stringify(phase.failures)}`);
      if (done >= nextSample || done >= jobs) {
        const [worker] = system.cost().workers;
        samples.push({ jobs: done, workerRssBytes: worker?.rssBytes ?? 0, redisBytes: await usedMemory(context.redis) });
        context.log(
          `soak: ${done} jobs, worker RSS ${((worker?.rssBytes ?? 0) / 2 ** 20).toFixed(0)} MB, Redis ${((samples.at(-1)?.redisBytes ?? 0) / 2 ** 20).toFixed(0)} MB`,
        );
        nextSample += jobs / SAMPLES;
      }
    }
    return { jobs: done, samples };
  } finally {
    await system.stop();
  }
}
