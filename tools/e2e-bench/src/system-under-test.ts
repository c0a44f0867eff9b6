/**
 * The system as a deployment runs it: the API process and K worker
 * processes (the built `main.js` of each service) on one Redis, configured
 * through their environment, and what each process costs (CPU, peak RSS)
 * read from `/proc`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@ensembles/redis-testing';

export interface SystemSettings {
  readonly redisUrl: string;
  readonly redisPrefix: string;
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

function launch(script: string, env: Record<string, string>, name: string): ChildProcess {
  // E2E_PROFILE=api or =worker: that process writes a CPU profile (.cpuprofile) on exit.
  const profile =
    process.env.E2E_PROFILE === name.split(' ')[0] ? ['--cpu-prof', `--cpu-prof-dir=${join(tmpdir(), 'e2e-bench-profiles')}`] : [];
  const child = spawn(process.execPath, [...profile, script], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(`[${name}] ${chunk}`));
  return child;
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await gone;
  clearTimeout(timer);
}

export class SystemUnderTest {
  private constructor(
    readonly apiUrl: string,
    readonly api: ChildProcess,
    readonly workers: readonly ChildProcess[],
  ) {}

  /** Starts the API and the workers and waits until the API is ready and every worker has announced itself. */
  static async start(settings: SystemSettings): Promise<SystemUnderTest> {
    const port = await freePort();
    const shared = { REDIS_URL: settings.redisUrl, REDIS_PREFIX: settings.redisPrefix };
    const api = launch(serviceMain('@ensembles/api'), { ...shared, PORT: String(port) }, 'api');
    const workers = Array.from({ length: settings.workers }, (_, i) =>
      launch(serviceMain('@ensembles/worker'), { ...shared, ...settings.workerEnv }, `worker ${i + 1}`),
    );
    const system = new SystemUnderTest(`http://127.0.0.1:${port}`, api, workers);
    try {
      await system.waitUntilReady(settings.workers);
    } catch (error) {
      await system.stop();
      throw error;
    }
    return system;
  }

  private async waitUntilReady(workers: number): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      for (const child of [this.api, ...this.workers]) {
        if (child.exitCode !== null) throw new Error(`a service process exited at start (code ${child.exitCode})`);
      }
      try {
        const ready = await fetch(`${this.apiUrl}/v2/health/ready`);
        const live = (await (await fetch(`${this.apiUrl}/v1/workers`)).json()) as { workers?: unknown[] };
        const pids = new Set(this.workers.map((w) => w.pid));
        const announced = (live.workers ?? []).filter((w) =>
          pids.has(
            Number(
              String((w as { id: string }).id)
                .split(':')
                .at(-1),
            ),
          ),
        );
        if (ready.ok && announced.length === workers) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error('the API and workers did not become ready within 30 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** CPU and memory of the API and of each worker. */
  cost(): { api: ProcessCost; workers: ProcessCost[] } {
    return { api: processCost(this.api.pid), workers: this.workers.map((w) => processCost(w.pid)) };
  }

  async stop(): Promise<void> {
    await Promise.all([this.api, ...this.workers].map(stopProcess));
  }
}
