/** Starting and stopping `redis-server` processes on free ports, for the private servers, clusters and Sentinels of tests. */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createConnection, createServer } from 'node:net';

/** Spawns `redis-server args` and waits until it answers PING on `port` (a Sentinel answers it too). */
export async function launchRedisServer(args: readonly string[], port: number, startTimeoutMs = 10_000): Promise<ChildProcess> {
  const child = spawn('redis-server', [...args], { stdio: 'ignore' });
  const exited = new Promise<never>((_, reject) => {
    child.once('error', (error) => reject(new Error(`cannot start redis-server (is it on the PATH?): ${error.message}`)));
    child.once('exit', (code) => reject(new Error(`redis-server exited with code ${code} before answering`)));
  });
  exited.catch(() => undefined);
  await Promise.race([waitForPing(port, startTimeoutMs), exited]);
  return child;
}

/** Stops a server started by `launchRedisServer` (SIGTERM unless told otherwise) and waits for it to exit. */
export async function halt(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  // A server frozen by a test (SIGSTOP) hears the signal once it runs again.
  if (signal !== 'SIGKILL') child.kill('SIGCONT');
  await gone;
}

/** `count` TCP ports nobody listens on right now, none twice (two calls of `freePort` may give the same one). */
export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
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

/** Runs `redis-cli -h 127.0.0.1 -p port ...args` and resolves with what it printed (raw replies, one per line). */
export function redisCli(port: number, args: readonly string[], timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error) reject(new Error(`redis-cli -p ${port} ${args.join(' ')}: ${error.message}\n${stdout}${stderr}`));
      else resolve(stdout);
    });
  });
}

/** Polls `check` every `everyMs` until it is true; throws `what` after `timeoutMs`. */
export async function until(check: () => Promise<boolean>, what: string, timeoutMs = 30_000, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
