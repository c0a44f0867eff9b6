/**
 * A private `redis-server` for tests: a free port, a scratch directory, no
 * persistence unless asked, stopped (and its directory removed) by `stop()`.
 * Tests never touch a shared Redis.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, halt, launchRedisServer } from './redis-server.js';

export { type PrivateCluster, type PrivateClusterOptions, startPrivateCluster } from './private-cluster.js';
export { type PrivateSentinelGroup, type PrivateSentinelOptions, startPrivateSentinelGroup } from './private-sentinel.js';
export { freePort, freePorts } from './redis-server.js';
export { type ServiceProcess, startServiceProcess, waitUntilReady } from './service-process.js';

export interface PrivateRedis {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** Stops the server, keeping its directory, and starts it again on the same port (what it persisted survives). */
  restart(): Promise<void>;
  /** Kills the server at once (SIGKILL: no shutdown, no last fsync), keeping its directory; `restart()` starts it again. */
  crash(): Promise<void>;
  stop(): Promise<void>;
}

export interface PrivateRedisOptions {
  /** Extra `redis-server` arguments, e.g. `['--appendonly', 'yes']`. */
  readonly args?: readonly string[];
  /** @defaultValue 10000 */
  readonly startTimeoutMs?: number;
}

/**
 * @example
 * const redis = await startPrivateRedis();
 * const connection = new Redis(redis.url);
 * afterAll(() => redis.stop());
 */
export async function startPrivateRedis(options: PrivateRedisOptions = {}): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'ensembles-redis-'));
  let child = await launch(port, dir, options);
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    async restart() {
      await halt(child);
      child = await launch(port, dir, options);
    },
    async crash() {
      await halt(child, 'SIGKILL');
    },
    async stop() {
      await halt(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function launch(port: number, dir: string, options: PrivateRedisOptions): Promise<ChildProcess> {
  return launchRedisServer(
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...(options.args ?? [])],
    port,
    options.startTimeoutMs,
  );
}
