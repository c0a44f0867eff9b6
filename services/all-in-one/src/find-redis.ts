/**
 * Where the all-in-one run gets its Redis: a cluster (`REDIS_CLUSTER_NODES`)
 * or a primary under Sentinel (`REDIS_SENTINELS`) if set; else `REDIS_URL` if
 * set; else a Redis already answering on 127.0.0.1:6379; else a private `redis-server` from the
 * PATH, keeping its data (AOF) under the project's `.data/redis`; else a
 * message that says how to get one.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createConnection } from 'node:net';

export interface FoundRedis {
  /** The server's URL; for a cluster or Sentinels, where they are, in words. */
  readonly url: string;
  /** How it was found, for the start-up log. */
  readonly source: 'REDIS_CLUSTER_NODES' | 'REDIS_SENTINELS' | 'REDIS_URL' | 'local' | 'started';
  stop(): Promise<void>;
}

const LOCAL_PORT = 6379;
const STARTED_PORT = 6390;

export async function findRedis(env: NodeJS.ProcessEnv, dataDir: string): Promise<FoundRedis> {
  for (const source of ['REDIS_CLUSTER_NODES', 'REDIS_SENTINELS'] as const) {
    if (env[source]?.trim()) return { url: env[source], source, stop: async () => {} };
  }
  if (env.REDIS_URL) return { url: env.REDIS_URL, source: 'REDIS_URL', stop: async () => {} };
  if (await answers(LOCAL_PORT)) return { url: `redis://127.0.0.1:${LOCAL_PORT}`, source: 'local', stop: async () => {} };
  if (await answers(STARTED_PORT)) return { url: `redis://127.0.0.1:${STARTED_PORT}`, source: 'local', stop: async () => {} };
  mkdirSync(dataDir, { recursive: true });
  const child = spawn(
    'redis-server',
    ['--port', String(STARTED_PORT), '--bind', '127.0.0.1', '--dir', dataDir, '--appendonly', 'yes', '--maxmemory-policy', 'noeviction'],
    {
      stdio: 'ignore',
    },
  );
  const failed = await Promise.race([
    new Promise<string>((resolve) => child.once('error', (error) => resolve(error.message))),
    new Promise<string>((resolve) => child.once('exit', (code) => resolve(`it exited with code ${code}`))),
    waitUntilAnswers(STARTED_PORT, 10_000).then(
      () => '',
      (error: Error) => error.message,
    ),
  ]);
  if (failed) {
    throw new Error(
      `no Redis: REDIS_URL is not set, nothing answers on 127.0.0.1:${LOCAL_PORT}, and redis-server could not be started (${failed}). ` +
        'Install Redis (e.g. apt-get install redis-server) or set REDIS_URL=redis://host:port.',
    );
  }
  return { url: `redis://127.0.0.1:${STARTED_PORT}`, source: 'started', stop: () => stopChild(child) };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await gone;
}

async function waitUntilAnswers(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await answers(port))) {
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.setTimeout(500, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * The start-up line that says which Redis is used, how it was found, and
 * which keys are this service's: a Redis found answering on the default port
 * may be shared with other software, whose keys this service never touches.
 */
export function describeRedis(redis: Pick<FoundRedis, 'url' | 'source'>, prefix: string): string {
  const how = {
    REDIS_CLUSTER_NODES: 'a Redis Cluster, from REDIS_CLUSTER_NODES',
    REDIS_SENTINELS: 'the primary named by the Sentinels of REDIS_SENTINELS',
    REDIS_URL: 'from REDIS_URL',
    local: 'found answering locally (not started by this service: set REDIS_URL to choose another)',
    started: `started by this service (redis-server on port ${STARTED_PORT}, its data in .data/redis)`,
  }[redis.source];
  if (redis.source === 'REDIS_CLUSTER_NODES') {
    return `Redis ${redis.url}, ${how}; this service's keys are those starting with "{${prefix}" (hash-tagged: its queue shards under "{${prefix}:s…}:bull:"), set by REDIS_PREFIX`;
  }
  return `Redis ${redis.url}, ${how}; this service's keys are those under "${prefix}:" (its queue under "${prefix}:bull:"), set by REDIS_PREFIX`;
}
