/**
 * The system as a deployment runs it: K API processes (each on its own
 * port) and K worker processes (the built `main.js` of each service) on one
 * Redis or a cluster, configured through their environment, and what each process costs
 * (CPU, peak RSS) read from `/proc`.
 */
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, type ServiceProcess, startServiceProcess, waitUntilReady } from '@ensembles/redis-testing';

export interface SystemSettings {
  /** Where Redis is, and the settings that go with it (`REDIS_URL`, or `REDIS_CLUSTER_NODES` and `QUEUE_SHARDS`). */
  readonly redisEnv: Readonly<Record<string, string>>;
  readonly redisPrefix: string;
  /** API processes, each on a port of its own. */
  readonly apis: number;
  readonly workers: number;
  /** Environment for every worker (e.g. `BATCH_MAX_ROWS`, `ENSEMBLE_THREADS`). */
  readonly workerEnv: Record<string, string>;
}

export interface ProcessCost {
  /** CPU seconds (user + system) used so far. */
  readonly cpuSeconds: number;
  /** Peak resident set size, bytes. */
  readonly peakRssBytes: number;
  readonly rssBytes: number;
}

const CLOCK_TICKS_PER_SECOND = 100;

/** What `/proc` says of a process (Linux); zeros elsewhere. */
export function processCost(pid: number | undefined): ProcessCost {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (name: string) => Number(status.match(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm'))?.[1] ?? 0) * 1024;
    return {
      cpuSeconds: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND,
      peakRssBytes: kib('VmHWM'),
      rssBytes: kib('VmRSS'),
    };
  } catch {
    return { cpuSeconds: 0, peakRssBytes: 0, rssBytes: 0 };
  }
}

function serviceMain(pkg: string): string {
  return join(dirname(fileURLToPath(import.meta.resolve(pkg))), 'main.js');
}

/** `E2E_PROFILE=api` (or `worker`): that process writes a CPU profile (.cpuprofile) on exit. */
function profileArgs(service: 'api' | 'worker'): string[] {
  return process.env.E2E_PROFILE === service ? ['--cpu-prof', `--cpu-prof-dir=${join(tmpdir(), 'e2e-bench-profiles')}`] : [];
}

/** `count` ports nobody listens on, none twice (two calls of `freePort` may give the same one). */
async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

export class SystemUnderTest {
  private constructor(
    /** One base URL per API process, in the order of `apis`. */
    readonly apiUrls: readonly string[],
    readonly apis: readonly ServiceProcess[],
    readonly workers: readonly ServiceProcess[],
  ) {}

  /** Starts the API processes and the workers and waits until every API is ready and every worker has announced itself. */
  static async start(settings: SystemSettings): Promise<SystemUnderTest> {
    const ports = await distinctFreePorts(settings.apis);
    const shared = { ...settings.redisEnv, REDIS_PREFIX: settings.redisPrefix, LOG_LEVEL: 'warn' };
    const apis = ports.map((port) =>
      startServiceProcess(serviceMain('@ensembles/api'), { ...shared, PORT: String(port) }, profileArgs('api')),
    );
    const workers = Array.from({ length: settings.workers }, () =>
      startServiceProcess(serviceMain('@ensembles/worker'), { ...shared, ...settings.workerEnv }, profileArgs('worker')),
    );
    const system = new SystemUnderTest(
      ports.map((port) => `http://127.0.0.1:${port}`),
      apis,
      workers,
    );
    try {
      await Promise.all(apis.map((api, i) => waitUntilReady(`${system.apiUrls[i]}/v2/health/ready`, api)));
      await system.waitForWorkers();
    } catch (error) {
      await system.stop();
      throw error;
    }
    return system;
  }

  /** Until every worker has announced itself (`GET /v1/workers`). */
  private async waitForWorkers(): Promise<void> {
    const pids = new Set(this.workers.map((worker) => worker.pid));
    const deadline = Date.now() + 30_000;
    for (;;) {
      const exited = this.workers.find((worker) => !worker.running);
      if (exited) throw new Error(`a worker exited at start:\n${exited.output()}`);
      const { workers } = (await (await fetch(`${this.apiUrls[0]}/v1/workers`)).json()) as { workers: Array<{ pid: number }> };
      if (workers.filter((worker) => pids.has(worker.pid)).length === pids.size) return;
      if (Date.now() > deadline) throw new Error('the workers did not announce themselves within 30 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** CPU and memory of each API process and of each worker. */
  cost(): { apis: ProcessCost[]; workers: ProcessCost[] } {
    return { apis: this.apis.map((a) => processCost(a.pid)), workers: this.workers.map((w) => processCost(w.pid)) };
  }

  async stop(): Promise<void> {
    await Promise.all(
      [...this.apis, ...this.workers].map(async (service) => {
        const killer = setTimeout(() => void service.kill('SIGKILL'), 10_000);
        await service.kill('SIGTERM');
        clearTimeout(killer);
      }),
    );
  }
}
