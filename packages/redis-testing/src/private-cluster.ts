/**
 * A private Redis Cluster for tests: `masters` `redis-server` processes in
 * cluster mode on free ports (and free cluster-bus ports), joined by
 * `redis-cli --cluster create` (the slots split evenly, no replicas), each
 * in a scratch directory that `stop()` removes.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts, halt, launchRedisServer, redisCli, until } from './redis-server.js';

export interface PrivateClusterNode {
  readonly port: number;
  readonly url: string;
}

export interface PrivateCluster {
  readonly nodes: readonly PrivateClusterNode[];
  /** The nodes as `REDIS_CLUSTER_NODES` takes them: `127.0.0.1:port,...`. */
  readonly nodesSetting: string;
  /** Runs a command on one node with `redis-cli` (raw replies, one per line). */
  cli(port: number, ...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

export interface PrivateClusterOptions {
  /** @defaultValue 3 (the fewest `redis-cli --cluster create` accepts) */
  readonly masters?: number;
  /** Extra `redis-server` arguments for every node. */
  readonly args?: readonly string[];
}

/**
 * @example
 * const cluster = await startPrivateCluster();
 * const redis = new Cluster(cluster.nodes.map(({ port }) => ({ host: '127.0.0.1', port })));
 * afterAll(() => cluster.stop());
 */
export async function startPrivateCluster(options: PrivateClusterOptions = {}): Promise<PrivateCluster> {
  const masters = options.masters ?? 3;
  const ports = await freePorts(masters * 2);
  const children: ChildProcess[] = [];
  const dirs: string[] = [];
  const stop = async () => {
    await Promise.all(children.map((child) => halt(child)));
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < masters; i++) {
      const [port, busPort] = [ports[2 * i] as number, ports[2 * i + 1] as number];
      const dir = mkdtempSync(join(tmpdir(), 'ensembles-cluster-'));
      dirs.push(dir);
      const args = [
        '--port',
        String(port),
        '--cluster-port',
        String(busPort),
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        join(dir, 'nodes.conf'),
        '--cluster-node-timeout',
        '2000',
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        ...(options.args ?? []),
      ];
      children.push(await launchRedisServer(args, port));
    }
    const nodePorts = ports.filter((_, i) => i % 2 === 0);
    await redisCli(nodePorts[0] as number, [
      '--cluster',
      'create',
      ...nodePorts.map((port) => `127.0.0.1:${port}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    // Every node agrees that the cluster is whole (each has met the others and knows every slot's owner).
    for (const port of nodePorts) {
      await until(async () => {
        const info = await redisCli(port, ['cluster', 'info']);
        return /cluster_state:ok/.test(info) && new RegExp(`cluster_known_nodes:${masters}\\b`).test(info);
      }, `the cluster node on port ${port} did not see the cluster whole`);
    }
    return {
      nodes: nodePorts.map((port) => ({ port, url: `redis://127.0.0.1:${port}` })),
      nodesSetting: nodePorts.map((port) => `127.0.0.1:${port}`).join(','),
      cli: (port, ...args) => redisCli(port, args),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
