/**
 * The service's processes as tests run them: a built `main.js` (the API or a
 * worker) spawned with its settings in the environment, its last output kept
 * for failure messages, killed with any signal, and never left behind (every
 * process still running when the test process exits is killed).
 */
import { type ChildProcess, spawn } from 'node:child_process';

export interface ServiceProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  /** Resolves with the exit code (null when a signal ended it) once the process has exited. */
  readonly exited: Promise<number | null>;
  /** Whether the process is still running. */
  readonly running: boolean;
  /** The last few kilobytes it wrote to stdout and stderr. */
  output(): string;
  /** Sends `signal` and waits for the process to exit; its exit code. */
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Spawns `node [nodeArgs] main` with `env` added to this process' environment.
 *
 * @example
 * const worker = startServiceProcess(workerMain, { REDIS_URL: redis.url, REDIS_PREFIX: 'test' });
 * await worker.kill('SIGKILL');
 */
export function startServiceProcess(
  main: string,
  env: Readonly<Record<string, string>>,
  /** Node's own flags, before `main` (e.g. `--cpu-prof`, which NODE_OPTIONS does not take). */
  nodeArgs: readonly string[] = [],
): ServiceProcess {
  const child = spawn(process.execPath, [...nodeArgs, main], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8192);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      running.delete(child);
      resolve(code);
    });
    child.once('error', () => {
      running.delete(child);
      resolve(null);
    });
  });
  return {
    pid: child.pid ?? -1,
    child,
    exited,
    get running() {
      return child.exitCode === null && child.signalCode === null;
    },
    output: () => output,
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Polls `url` until it answers 2xx; throws after `timeoutMs`, or at once if `service` exits first. */
export async function waitUntilReady(url: string, service?: ServiceProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (service && !service.running) throw new Error(`the process exited before ${url} answered:\n${service.output()}`);
    const ok = await fetch(url, { signal: AbortSignal.timeout(2000) }).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms${service ? `:\n${service.output()}` : ''}`);
}
