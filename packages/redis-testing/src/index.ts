/**
 * A private `redis-server` for tests: a free port, a scratch directory, no
 * persistence unless asked, stopped (and its directory removed) by `stop()`.
 * Tests never touch a shared Redis.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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

async function launch(port: number, dir: string, options: PrivateRedisOptions): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...(options.args ?? [])],
    { stdio: 'ignore' },
  );
  const exited = new Promise<never>((_, reject) => {
    child.once('error', (error) => reject(new Error(`cannot start redis-server (is it on the PATH?): ${error.message}`)));
    child.once('exit', (code) => reject(new Error(`redis-server exited with code ${code} before answering`)));
  });
  exited.catch(() => undefined);
  await Promise.race([waitForPing(port, options.startTimeoutMs ?? 10_000), exited]);
  return child;
}

async function halt(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  await gone;
}

/** A TCP port nobody listens on right now (for a server a test starts). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function waitForPing(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await ping(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`redis-server on port ${port} did not answer within ${timeoutMs} ms`);
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
  });
}
