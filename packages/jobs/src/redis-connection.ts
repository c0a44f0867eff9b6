/**
 * The one place that opens connections to Redis, for the API, the workers,
 * `npm start` and the bench alike, from the settings that say where Redis is:
 *
 * - `REDIS_URL` alone: one Redis (`redis://[user:password@]host:port[/db]`, `rediss://` for TLS), exactly
 *   as before there were other ways;
 * - `REDIS_CLUSTER_NODES=host:port,...`: a Redis Cluster, through ioredis' `Cluster` (any few nodes: the
 *   rest are discovered); every key is then hash-tagged (`redis-keys.ts`' `tagged` layout) and completion
 *   notices use sharded Pub/Sub;
 * - `REDIS_SENTINELS=host:port,...` and `REDIS_SENTINEL_MASTER`: a primary and its replicas under Redis
 *   Sentinel, through ioredis' Sentinel support: after a failover every connection finds the new primary
 *   by itself.
 *
 * With a cluster or Sentinel, `REDIS_URL`'s user, password, database and TLS (`rediss:`) still apply, to
 * the cluster's nodes and to the primary Sentinel names.
 */
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
import { z } from 'zod';
import { keySlot } from './key-slot.js';
import type { KeyLayout } from './redis-keys.js';

/** A connection to Redis: one server (alone or found through Sentinel), or a cluster. */
export type RedisClient = Redis | Cluster;

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** `host:port,host:port` (IPv6 hosts in brackets), parsed; empty: none. */
export const hostListSetting = z
  .string()
  .default('')
  .transform((value, ctx): HostPort[] => {
    const hosts: HostPort[] = [];
    for (const entry of value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      const match = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(entry);
      const port = Number(match?.[2]);
      if (!match?.[1] || !(port >= 1 && port <= 65535)) {
        ctx.addIssue({ code: 'custom', message: `"${entry}" is not host:port (entries are comma-separated)` });
        return z.NEVER;
      }
      hosts.push({ host: match[1], port });
    }
    return hosts;
  });

/** The settings that say where Redis is (see `sharedSettings`). */
export const redisConnectionSettings = {
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  /** A Redis Cluster's nodes (some or all): `host:port,...`. Set: the cluster is used, not `REDIS_URL`'s server. */
  REDIS_CLUSTER_NODES: hostListSetting,
  /** Redis Sentinels, `host:port,...`. Set: the primary they name `REDIS_SENTINEL_MASTER` is used, not `REDIS_URL`'s server. */
  REDIS_SENTINELS: hostListSetting,
  REDIS_SENTINEL_MASTER: z.string().min(1).default('mymaster'),
  /** The Sentinels' own password, when they ask for one (the primary's is `REDIS_URL`'s). */
  REDIS_SENTINEL_PASSWORD: z.string().optional(),
};

export interface RedisConnectionSettings {
  readonly REDIS_URL: string;
  readonly REDIS_CLUSTER_NODES: readonly HostPort[];
  readonly REDIS_SENTINELS: readonly HostPort[];
  readonly REDIS_SENTINEL_MASTER: string;
  readonly REDIS_SENTINEL_PASSWORD?: string | undefined;
}

/** For a settings schema's `superRefine`: a cluster and Sentinels cannot both be where Redis is. */
export function checkRedisConnectionSettings(settings: Partial<RedisConnectionSettings>, ctx: z.RefinementCtx): void {
  if ((settings.REDIS_CLUSTER_NODES?.length ?? 0) > 0 && (settings.REDIS_SENTINELS?.length ?? 0) > 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['REDIS_SENTINELS'],
      message: 'set REDIS_CLUSTER_NODES (a cluster) or REDIS_SENTINELS (a primary under Sentinel), not both',
    });
  }
}

export type RedisMode = 'standalone' | 'cluster' | 'sentinel';

export function redisMode(settings: RedisConnectionSettings): RedisMode {
  if (settings.REDIS_CLUSTER_NODES.length > 0) return 'cluster';
  if (settings.REDIS_SENTINELS.length > 0) return 'sentinel';
  return 'standalone';
}

/** The key layout for where Redis is: hash-tagged on a cluster, plain elsewhere. */
export function keyLayout(settings: RedisConnectionSettings): KeyLayout {
  return redisMode(settings) === 'cluster' ? 'tagged' : 'plain';
}

/** Where Redis is, in words, for start-up logs (no password). */
export function describeRedisTarget(settings: RedisConnectionSettings): string {
  const list = (hosts: readonly HostPort[]) => hosts.map(({ host, port }) => `${host}:${port}`).join(',');
  switch (redisMode(settings)) {
    case 'cluster':
      return `the Redis Cluster at ${list(settings.REDIS_CLUSTER_NODES)}`;
    case 'sentinel':
      return `the primary "${settings.REDIS_SENTINEL_MASTER}" of the Sentinels at ${list(settings.REDIS_SENTINELS)}`;
    default: {
      const url = new URL(settings.REDIS_URL);
      url.password = url.password ? '***' : '';
      return url.toString();
    }
  }
}

/** What `REDIS_URL` says besides the server: credentials, database, TLS. */
function urlOptions(url: string): RedisOptions {
  const parsed = new URL(url);
  const db = Number(parsed.pathname.slice(1) || '0');
  return {
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(Number.isInteger(db) && db > 0 ? { db } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/**
 * A connection to wherever the settings say Redis is, with `options` for
 * each server connection (`maxRetriesPerRequest`, `enableOfflineQueue`,
 * `connectionName`, ...). Only `REDIS_URL`: `new Redis(REDIS_URL, options)`,
 * as ever.
 *
 * @example
 * const redis = connectRedis(config, { maxRetriesPerRequest: null }); // for BullMQ workers
 */
export function connectRedis(settings: RedisConnectionSettings, options: RedisOptions = {}): RedisClient {
  switch (redisMode(settings)) {
    case 'cluster':
      return new Cluster([...settings.REDIS_CLUSTER_NODES], clusterOptions(settings, options));
    case 'sentinel':
      return new Redis({
        ...urlOptions(settings.REDIS_URL),
        sentinels: [...settings.REDIS_SENTINELS],
        name: settings.REDIS_SENTINEL_MASTER,
        ...(settings.REDIS_SENTINEL_PASSWORD ? { sentinelPassword: settings.REDIS_SENTINEL_PASSWORD } : {}),
        // While no primary answers, ask the Sentinels again often: the new one is usually named within seconds.
        // (Not ioredis' failoverDetector: a +switch-master heard while the connection is being made again ends it for good.)
        retryStrategy: (times: number) => Math.min(times * 50, 500),
        // A demoted primary that came back answers writes with READONLY: reconnect (to the new primary) and resend.
        reconnectOnError: (error: Error) => (error.message.startsWith('READONLY') ? 2 : false),
        ...options,
      });
    default:
      return new Redis(settings.REDIS_URL, options);
  }
}

/**
 * A connection for receiving Pub/Sub messages (`subscribeChannel`). On a
 * cluster it subscribes with sharded Pub/Sub (SSUBSCRIBE) on the node that
 * owns each channel's slot; elsewhere it is a plain connection.
 */
export function connectSubscriber(settings: RedisConnectionSettings, options: RedisOptions = {}): RedisClient {
  if (redisMode(settings) === 'cluster') {
    return new Cluster([...settings.REDIS_CLUSTER_NODES], { ...clusterOptions(settings, options), shardedSubscribers: true });
  }
  return connectRedis(settings, options);
}

function clusterOptions(settings: RedisConnectionSettings, options: RedisOptions): ClusterOptions {
  return {
    // Connection errors and fail-fast apply to the cluster as a whole as to each node.
    ...(options.enableOfflineQueue === undefined ? {} : { enableOfflineQueue: options.enableOfflineQueue }),
    redisOptions: { ...urlOptions(settings.REDIS_URL), ...options },
  };
}

/** The primaries behind a connection: the cluster's masters, or the one server. */
export function primaries(client: RedisClient): Redis[] {
  return client.isCluster ? (client as Cluster).nodes('master') : [client as Redis];
}

/**
 * The server connection that holds `key`: on a cluster, the master's
 * connection of its slot (the one the cluster client sends the key's commands
 * on), or undefined while the slot's owner is unknown; else the connection
 * itself.
 */
export function connectionOfKey(client: RedisClient, key: string): Redis | undefined {
  if (!client.isCluster) return client as Redis;
  const cluster = client as Cluster;
  const owner = cluster.slots[keySlot(key)]?.[0];
  if (owner === undefined) return undefined;
  return cluster.nodes('master').find((node) => `${node.options.host}:${node.options.port}` === owner);
}

/** Publishes on a channel: sharded Pub/Sub (SPUBLISH) on a cluster, PUBLISH elsewhere. */
export function publishOn(client: RedisClient, channel: string, message: string): Promise<unknown> {
  return client.isCluster ? client.spublish(channel, message) : client.publish(channel, message);
}

/**
 * Subscribes `subscriber` (from `connectSubscriber`) to `channel`: each
 * message goes to `onMessage`; `onResubscribed` runs after every reconnect,
 * once the subscription is back (messages published meanwhile are lost).
 */
export async function subscribeChannel(
  subscriber: RedisClient,
  channel: string,
  onMessage: (message: string) => void,
  onResubscribed: () => void,
): Promise<void> {
  if (subscriber.isCluster) {
    subscriber.on('smessage', (_channel: string, message: string) => onMessage(message));
    await subscriber.ssubscribe(channel);
    // Each node's subscriber is started again after a reconnect or a change of slots; the cluster says so.
    subscriber.on('+subscriber', onResubscribed);
    subscriber.on('subscribersReady', onResubscribed);
    return;
  }
  subscriber.on('message', (_channel: string, message: string) => onMessage(message));
  await subscriber.subscribe(channel);
  // 'ready' follows every reconnect, after ioredis has subscribed again.
  subscriber.on('ready', onResubscribed);
}
