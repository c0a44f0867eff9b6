/**
 * A private Redis Sentinel group for tests: a primary, its replicas and
 * Sentinels (`redis-server --sentinel`) on free ports, each in a scratch
 * directory that `stop()` removes; servers can be SIGKILLed and started
 * again, and the Sentinels asked which one is the primary now.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts, halt, launchRedisServer, redisCli, until } from './redis-server.js';

export interface PrivateSentinelGroup {
  /** The name the Sentinels monitor the primary under (`REDIS_SENTINEL_MASTER`). */
  readonly masterName: string;
  /** The Sentinels as `REDIS_SENTINELS` takes them: `127.0.0.1:port,...`. */
  readonly sentinelsSetting: string;
  /** The data servers' ports, the first started as the primary. */
  readonly serverPorts: readonly number[];
  readonly sentinelPorts: readonly number[];
  /** The port of the server the Sentinels name primary now. */
  primaryPort(): Promise<number>;
  /** Kills a data server at once (SIGKILL: no shutdown). */
  crash(port: number): Promise<void>;
  /** Starts a crashed data server again, as a replica of `replicaOf` (the primary now), on its port. */
  restart(port: number, replicaOf: number): Promise<void>;
  /** Freezes a server (SIGSTOP): it reads and answers nothing until `resume` (SIGCONT). */
  pause(port: number): void;
  resume(port: number): void;
  /** Runs a command on a server or Sentinel with `redis-cli` (raw replies, one per line). */
  cli(port: number, ...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

export interface PrivateSentinelOptions {
  /** @defaultValue 1 */
  readonly replicas?: number;
  /** @defaultValue 3 (a quorum of 2) */
  readonly sentinels?: number;
  /** How long a primary must be silent before the Sentinels take it for down. @defaultValue 1000 */
  readonly downAfterMs?: number;
  /** Extra `redis-server` arguments for every data server. */
  readonly args?: readonly string[];
}

const MASTER = 'ensembles';

/**
 * @example
 * const group = await startPrivateSentinelGroup();
 * const redis = new Redis({ sentinels: [...], name: group.masterName });
 * await group.crash(await group.primaryPort()); // the replica is promoted within seconds
 */
export async function startPrivateSentinelGroup(options: PrivateSentinelOptions = {}): Promise<PrivateSentinelGroup> {
  const replicas = options.replicas ?? 1;
  const sentinelCount = options.sentinels ?? 3;
  const ports = await freePorts(1 + replicas + sentinelCount);
  const serverPorts = ports.slice(0, 1 + replicas);
  const sentinelPorts = ports.slice(1 + replicas);
  const primary = serverPorts[0] as number;
  const children = new Map<number, ChildProcess>();
  const dirs = new Map<number, string>();
  const dirOf = (port: number) => {
    const dir = dirs.get(port) ?? mkdtempSync(join(tmpdir(), 'ensembles-sentinel-'));
    dirs.set(port, dir);
    return dir;
  };
  const startServer = async (port: number, replicaOf?: number) => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dirOf(port)];
    if (replicaOf !== undefined) args.push('--replicaof', '127.0.0.1', String(replicaOf));
    children.set(port, await launchRedisServer([...args, ...(options.args ?? [])], port));
  };
  const stop = async () => {
    await Promise.all([...children.values()].map((child) => halt(child)));
    for (const dir of dirs.values()) rmSync(dir, { recursive: true, force: true });
  };
  const cli = (port: number, ...args: string[]) => redisCli(port, args);
  const entries = (reply: string) => reply.split('\n').filter((line) => line === 'name').length;
  try {
    await startServer(primary);
    for (const port of serverPorts.slice(1)) await startServer(port, primary);
    for (const port of serverPorts.slice(1)) {
      await until(async () => /master_link_status:up/.test(await cli(port, 'info', 'replication')), `replica ${port} did not sync`);
    }
    for (const port of sentinelPorts) {
      const dir = dirOf(port);
      const config = join(dir, 'sentinel.conf');
      writeFileSync(
        config,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${MASTER} 127.0.0.1 ${primary} ${Math.floor(sentinelCount / 2) + 1}`,
          `sentinel down-after-milliseconds ${MASTER} ${options.downAfterMs ?? 1000}`,
          `sentinel failover-timeout ${MASTER} 10000`,
          `sentinel parallel-syncs ${MASTER} 1`,
          '',
        ].join('\n'),
      );
      children.set(port, await launchRedisServer([config, '--sentinel'], port));
    }
    // Every Sentinel knows the replicas and the other Sentinels (they meet through the primary's hello channel).
    for (const port of sentinelPorts) {
      await until(
        async () =>
          entries(await cli(port, 'sentinel', 'replicas', MASTER)) >= replicas &&
          entries(await cli(port, 'sentinel', 'sentinels', MASTER)) >= sentinelCount - 1,
        `Sentinel ${port} did not find the replicas and the other Sentinels`,
      );
    }
    return {
      masterName: MASTER,
      sentinelsSetting: sentinelPorts.map((port) => `127.0.0.1:${port}`).join(','),
      serverPorts,
      sentinelPorts,
      async primaryPort() {
        const [, port] = (await cli(sentinelPorts[0] as number, 'sentinel', 'get-master-addr-by-name', MASTER)).trim().split('\n');
        return Number(port);
      },
      async crash(port) {
        const child = children.get(port);
        if (child) await halt(child, 'SIGKILL');
      },
      async restart(port, replicaOf) {
        await startServer(port, replicaOf);
      },
      pause(port) {
        children.get(port)?.kill('SIGSTOP');
      },
      resume(port) {
        children.get(port)?.kill('SIGCONT');
      },
      cli,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
