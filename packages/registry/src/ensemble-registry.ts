/**
 * The ensemble registry, in Redis. An ensemble version (manifest + stacked
 * weights) is immutable and named by the SHA-256 of its content, so it is
 * stored once however many tenants or names register it. A tenant's name
 * points at its latest version and remembers the older ones, which stay
 * addressable as `name@version`. The key layout is `redisKeys()`'s, in
 * `@ensembles/jobs`: on a Redis Cluster every key of the registry shares one
 * hash tag, so each script and transaction here runs on one slot, and every
 * key a script touches is declared to it.
 */
import {
  assertStackedParameters,
  type EnsembleArchitecture,
  type Manifest,
  parseManifest,
  readSafetensors,
  sizeOf,
  stackMembers,
  writeSafetensors,
} from '@ensembles/core';
import { type RedisClient, type RedisKeys, redisKeys, type ShardKeys } from '@ensembles/jobs';
import type { ChainableCommander, Redis } from 'ioredis';
import { canonicalJson } from './canonical-json.js';
import { checkName, checkTenant, checkVersion, parseReference } from './ensemble-reference.js';
import { RegistryError } from './registry-error.js';
import { versionDigest } from './version-digest.js';
import { type VersionRecord, versionRecordFields, versionRecordSchema } from './version-record.js';

/** One version of a tenant's ensemble, as the registry describes it. */
export interface EnsembleVersionInfo {
  /** The ensemble's name: the manifest's `name`. */
  readonly name: string;
  /** SHA-256 hex of the content (canonical manifest JSON, a 0 byte, the stacked weights). */
  readonly version: string;
  /** `sha256:` + version. */
  readonly digest: string;
  readonly members: number;
  /** Parameters of all members together. */
  readonly parameters: number;
  /** Length of the stacked safetensors file. */
  readonly bytes: number;
  /**
   * Milliseconds since the epoch when this tenant's name first pointed at this
   * version (never when another tenant stored the same content).
   */
  readonly createdAt: number;
  /** The parsed manifest, defaults filled in. */
  readonly manifest: Manifest;
  readonly architecture: EnsembleArchitecture;
}

/** What `register` returns: the version, and whether it is new to this tenant's name. */
export interface RegisteredEnsemble extends EnsembleVersionInfo {
  /**
   * False when this tenant's name already had this version. Whether another
   * tenant stored the same content is never told (storage is shared, silently).
   */
  readonly created: boolean;
}

/** What a worker needs to compile a version, besides its weights. */
export interface LoadedVersion {
  readonly version: string;
  readonly manifest: Manifest;
  readonly architecture: EnsembleArchitecture;
  /** Length of the stacked safetensors file (`loadWeights` returns that many bytes). */
  readonly bytes: number;
}

export interface EnsembleRegistryOptions {
  /** The keys, and the prediction queue's shards that collection looks into. @defaultValue `redisKeys()` (prefix `ens`) */
  readonly keys?: RedisKeys;
  /** Size of the binary chunks that weights are stored in. @defaultValue 4 MiB */
  readonly chunkBytes?: number;
}

export const DEFAULT_CHUNK_BYTES = 4 * 1024 * 1024;
/** Largest chunk accepted: half of Redis' 512 MB limit on one string. */
const MAX_CHUNK_BYTES = 256 * 1024 * 1024;
/** Chunks fetched per round trip by `loadWeights`: bounds the replies held at once. */
const CHUNKS_PER_ROUND = 8;
/** Jobs whose data one script call of the collection reads. */
const JOBS_PER_SCRIPT = 500;
/** Tries of a deletion whose name's history keeps changing under it. */
const DELETE_TRIES = 10;

/** Version descriptions kept in memory per registry. */
const DESCRIBED_VERSIONS = 256;

export class EnsembleRegistry {
  private readonly keys: RedisKeys;
  private readonly chunkBytes: number;
  /** Versions already read and described (content-addressed, so they never change), newest use last. */
  private readonly described = new Map<string, EnsembleVersionInfo>();

  constructor(
    private readonly redis: RedisClient,
    options: EnsembleRegistryOptions = {},
  ) {
    this.keys = options.keys ?? redisKeys();
    this.chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
    if (!Number.isSafeInteger(this.chunkBytes) || this.chunkBytes < 1 || this.chunkBytes > MAX_CHUNK_BYTES) {
      throw new RangeError(`chunkBytes must be a whole number of bytes from 1 to ${MAX_CHUNK_BYTES}, got ${options.chunkBytes}`);
    }
  }

  /**
   * Registers a stacked ensemble under the manifest's name for a tenant and
   * makes it the name's latest version. Everything is validated before
   * anything is written: the manifest (`ManifestError`), the safetensors file
   * (`SafetensorsError`) and the weights against the manifest
   * (`ParametersError`), each listing every problem. Content already stored
   * (by anyone) is not written again.
   *
   * @example
   * const info = await registry.register('acme', JSON.parse(manifestJson), await readFile('stacked.safetensors'));
   * info.version; // '3f5a…' (64 hex digits); resolve('acme', 'mnist-mlp') now returns it
   */
  async register(tenant: string, manifest: unknown, stackedWeights: Uint8Array): Promise<RegisteredEnsemble> {
    checkTenant(tenant);
    const architecture = parseManifest(manifest);
    const { tensors } = readSafetensors(stackedWeights, { source: 'weights' });
    // The same checks as loadStackedEnsemble, without its float32 copy of every parameter.
    assertStackedParameters(architecture, tensors);

    const canonicalManifest = canonicalJson(architecture.manifest);
    // The tensors re-written without metadata, in name order: the same weights give the same
    // version whatever file they came in (stacked here or by PyTorch, with or without metadata).
    const weights = writeSafetensors(tensors.values());
    const version = versionDigest(canonicalManifest, weights);
    const stored = (await this.redis.exists(this.keys.version(version))) === 1;
    const { name } = architecture.manifest;
    const history = this.keys.ensembleHistory(tenant, name);
    const created = (await this.redis.lpos(history, version)) === null;
    const now = Date.now();
    const transaction = this.redis.multi();
    if (!stored) this.writeVersion(transaction, version, canonicalManifest, architecture, weights, now);
    const keys = [
      this.keys.ensembleName(tenant, name),
      history,
      this.keys.tenantEnsembles(tenant),
      this.keys.version(version),
      this.keys.versionNames(version),
      this.keys.unreferencedVersions,
    ];
    transaction.eval(POINT_NAME, keys.length, ...keys, version, name, String(now), `${tenant}:${name}`);
    const replies = await exec(transaction);
    const createdAt = replies.at(-1);
    // The version was collected between the check above and the transaction (its last name had gone): store it again.
    if (createdAt === 0) return this.register(tenant, manifest, stackedWeights);
    return { ...(await this.info(version)), createdAt: Number(createdAt), created };
  }

  /**
   * Registers an ensemble from one file per member (PyTorch state dicts saved
   * by `safetensors.torch.save_file`), stacked as `ensemble stack` stacks
   * them; the same weights give the same version by either route. Members that do not
   * match the manifest or each other throw core's `ParametersError` or
   * `MembersMismatchError`.
   *
   * @example
   * const files = await Promise.all(paths.map((path) => readFile(path)));
   * const info = await registry.registerMembers('acme', manifest, files);
   */
  async registerMembers(tenant: string, manifest: unknown, memberFiles: readonly Uint8Array[]): Promise<RegisteredEnsemble> {
    checkTenant(tenant);
    const architecture = parseManifest(manifest);
    const members = memberFiles.map((bytes, m) => readSafetensors(bytes, { source: `member ${m}` }).tensors);
    return this.register(tenant, manifest, writeSafetensors(stackMembers(architecture, members)));
  }

  /**
   * Finds a tenant's ensemble version: `name` is the latest version,
   * `name@version` a version the name has pointed at (the full 64 hex digits
   * or a prefix of at least 12). Anything else is `ENSEMBLE_NOT_FOUND`, the
   * same whether another tenant has the name or nobody does.
   *
   * @example
   * const latest = await registry.resolve('acme', 'mnist-mlp');
   * const pinned = await registry.resolve('acme', `mnist-mlp@${latest.version.slice(0, 12)}`);
   */
  async resolve(tenant: string, reference: string): Promise<EnsembleVersionInfo> {
    checkTenant(tenant);
    const { name, version } = parseReference(reference);
    if (version === undefined) {
      // One round trip (this is on every prediction's path): the latest version and when the name got it.
      const [latest, createdAt] = await this.redis.hmget(this.keys.ensembleName(tenant, name), 'latest', 'latestCreatedAt');
      if (!latest) throw notFound(`no ensemble named ${name}`);
      return this.forName(await this.info(latest), createdAt);
    }
    const [history, record] = (await exec(
      this.redis.pipeline().lrange(this.keys.ensembleHistory(tenant, name), 0, -1).hgetall(this.keys.ensembleName(tenant, name)),
    )) as [string[], Record<string, string>];
    if (history.length === 0) throw notFound(`no ensemble named ${name}`);
    const matches = history.filter((candidate) => candidate.startsWith(version));
    const [match] = matches;
    if (match === undefined) throw notFound(`ensemble ${name} has no version ${version}`);
    if (matches.length > 1) {
      throw new RegistryError('INVALID_REFERENCE', `${name}@${version} matches ${matches.length} versions: give more digits`);
    }
    return this.forName(await this.info(match), record[createdField(match)]);
  }

  /**
   * The latest version of each of a tenant's ensembles, sorted by name.
   *
   * @example
   * for (const ensemble of await registry.list('acme')) console.log(ensemble.name, ensemble.version);
   */
  async list(tenant: string): Promise<EnsembleVersionInfo[]> {
    checkTenant(tenant);
    const names = (await this.redis.smembers(this.keys.tenantEnsembles(tenant))).sort();
    if (names.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const name of names) pipeline.hmget(this.keys.ensembleName(tenant, name), 'latest', 'latestCreatedAt');
    // A name deleted between the two reads has no latest version: leave it out.
    const latest = ((await exec(pipeline)) as [string | null, string | null][]).filter(
      (fields): fields is [string, string | null] => typeof fields[0] === 'string',
    );
    const infos = await this.infos(latest.map(([version]) => version));
    return infos.map((info, i) => this.forName(info, latest[i]?.[1]));
  }

  /**
   * Every version a tenant's ensemble has pointed at, newest first (the
   * first is the latest). A version registered again moves to the front.
   *
   * @example
   * const [latest, previous] = await registry.versions('acme', 'mnist-mlp');
   */
  async versions(tenant: string, name: string): Promise<EnsembleVersionInfo[]> {
    checkTenant(tenant);
    checkName(name);
    const [history, record] = (await exec(
      this.redis.pipeline().lrange(this.keys.ensembleHistory(tenant, name), 0, -1).hgetall(this.keys.ensembleName(tenant, name)),
    )) as [string[], Record<string, string>];
    if (history.length === 0) throw notFound(`no ensemble named ${name}`);
    return (await this.infos(history)).map((info) => this.forName(info, record[createdField(info.version)]));
  }

  /**
   * Removes a tenant's name and its history; true when the name existed.
   * The versions themselves stay, so jobs already queued for them still run;
   * those no other name points at are collected later, once no job needs
   * them (`collectUnreferenced`).
   *
   * @example
   * await registry.delete('acme', 'mnist-mlp'); // true; resolve('acme', 'mnist-mlp') now throws
   */
  async delete(tenant: string, name: string): Promise<boolean> {
    checkTenant(tenant);
    checkName(name);
    const history = this.keys.ensembleHistory(tenant, name);
    // The script is told the versions (and their names' keys) it will touch; if the history changed meanwhile, again.
    for (let attempt = 0; attempt < DELETE_TRIES; attempt++) {
      const versions = await this.redis.lrange(history, 0, -1);
      const keys = [
        this.keys.ensembleName(tenant, name),
        history,
        this.keys.tenantEnsembles(tenant),
        this.keys.unreferencedVersions,
        ...versions.map((version) => this.keys.versionNames(version)),
      ];
      const removed = await this.redis.eval(DELETE_NAME, keys.length, ...keys, name, `${tenant}:${name}`, String(Date.now()), ...versions);
      if (removed !== -1) return removed === 1;
    }
    throw new Error(`the history of ${tenant}:${name} kept changing while it was being deleted; try again`);
  }

  /**
   * Deletes the versions that no name points at any more and that no job
   * still needs (waiting, delayed, prioritized or active, in any shard of the
   * prediction queue), weights and all; returns the versions it deleted.
   * Each version is deleted by one script that checks it is still unnamed
   * and unchanged on the list, so a registration racing with it either keeps
   * it or stores it again. Workers call this periodically; reading the
   * unfinished jobs costs a pass over the queue's shards, made only while
   * some version awaits collection.
   *
   * @example
   * await registry.delete('acme', 'mnist-mlp');
   * await registry.collectUnreferenced(); // its versions, once their jobs have finished
   */
  async collectUnreferenced(): Promise<string[]> {
    await this.indexVersionNames();
    const listed = await this.redis.zrange(this.keys.unreferencedVersions, 0, -1, 'WITHSCORES');
    if (listed.length === 0) return [];
    const candidates = new Map<string, string>();
    for (let i = 0; i < listed.length; i += 2) candidates.set(listed[i] as string, listed[i + 1] as string);
    const versions = [...candidates.keys()];
    const counts = (await exec(
      versions.reduce(
        (pipeline, version) => pipeline.scard(this.keys.versionNames(version)).hget(this.keys.version(version), 'chunks'),
        this.redis.pipeline(),
      ),
    )) as (number | string | null)[];
    // Versions a name points at again are only taken off the list; the others, unless an unfinished job needs them.
    const unnamed = versions.filter((_, i) => counts[2 * i] === 0);
    const needed = unnamed.length > 0 ? await this.versionsNeeded(unnamed) : new Set<string>();
    const collected: string[] = [];
    for (const [i, version] of versions.entries()) {
      if (needed.has(version)) continue;
      const chunks = Number(counts[2 * i + 1] ?? 0);
      const keys = [
        this.keys.unreferencedVersions,
        this.keys.versionNames(version),
        this.keys.version(version),
        ...Array.from({ length: chunks }, (_, chunk) => this.keys.weightsChunk(version, chunk)),
      ];
      const outcome = await this.redis.eval(COLLECT_VERSION, keys.length, ...keys, version, candidates.get(version) as string);
      if (outcome === 'collected') {
        collected.push(version);
        this.described.delete(version);
      }
    }
    return collected;
  }

  /**
   * Which of `versions` an unfinished job (waiting, paused, active,
   * prioritized, delayed, waiting for children) names, in any shard of the
   * prediction queue. Per shard: its unfinished job ids in one transaction,
   * then the version each job's data names, read by a script on the shard's
   * slot that is handed the jobs' keys (the data itself never leaves Redis).
   */
  private async versionsNeeded(versions: readonly string[]): Promise<Set<string>> {
    const needed = new Set<string>();
    for (const shard of this.keys.shards) {
      for (const version of await this.versionsNeededIn(shard, versions)) needed.add(version);
      if (needed.size === versions.length) break;
    }
    return needed;
  }

  private async versionsNeededIn(shard: ShardKeys, versions: readonly string[]): Promise<string[]> {
    const q = `${shard.queue}:`;
    const lists = (await exec(
      this.redis
        .multi()
        .lrange(`${q}wait`, 0, -1)
        .lrange(`${q}paused`, 0, -1)
        .lrange(`${q}active`, 0, -1)
        .zrange(`${q}prioritized`, 0, -1)
        .zrange(`${q}delayed`, 0, -1)
        .zrange(`${q}waiting-children`, 0, -1),
    )) as string[][];
    const ids = [...new Set(lists.flat())];
    const found = new Set<string>();
    for (let first = 0; first < ids.length && found.size < versions.length; first += JOBS_PER_SCRIPT) {
      const keys = ids.slice(first, first + JOBS_PER_SCRIPT).map((id) => `${q}${id}`);
      for (const version of (await this.redis.eval(VERSIONS_NEEDED, keys.length, ...keys, ...versions)) as string[]) found.add(version);
    }
    return [...found];
  }

  /**
   * For workers: a version's stacked safetensors file, its chunks copied into
   * one allocation and checked against the version's digest.
   *
   * @example
   * const weights = await registry.loadWeights(job.data.version);
   * const ensemble = loadStackedEnsemble(architecture, readSafetensors(weights).tensors);
   */
  async loadWeights(version: string): Promise<Uint8Array> {
    checkVersion(version);
    const record = await this.record(version);
    const weights = new Uint8Array(record.bytes);
    for (let first = 0; first < record.chunks; first += CHUNKS_PER_ROUND) {
      const last = Math.min(first + CHUNKS_PER_ROUND, record.chunks);
      const pipeline = this.redis.pipeline();
      for (let i = first; i < last; i++) pipeline.getBuffer(this.keys.weightsChunk(version, i));
      const chunks = await exec(pipeline);
      chunks.forEach((chunk, offset) => {
        const i = first + offset;
        const begin = i * record.chunkBytes;
        const expected = Math.min(record.chunkBytes, record.bytes - begin);
        if (!Buffer.isBuffer(chunk)) throw notFound(`the weights of version ${version} are incomplete: chunk ${i} is missing`);
        if (chunk.length !== expected) {
          throw new Error(`the weights of version ${version} are corrupt: chunk ${i} holds ${chunk.length} bytes, expected ${expected}`);
        }
        weights.set(chunk, begin);
      });
    }
    const actual = versionDigest(record.manifest, weights);
    if (actual !== version) throw new Error(`version ${version} is corrupt: its stored content hashes to ${actual}`);
    return weights;
  }

  /**
   * For workers: a version's manifest and parsed architecture.
   *
   * @example
   * const { architecture, bytes } = await registry.loadVersion(job.data.version);
   */
  async loadVersion(version: string): Promise<LoadedVersion> {
    checkVersion(version);
    const record = await this.record(version);
    const architecture = architectureOf(record);
    return { version, manifest: architecture.manifest, architecture, bytes: record.bytes };
  }

  /**
   * Once per Redis: adds the names registered before versions kept their
   * names (every name's history) to those versions' names, so that no
   * version such a name points at is taken for unreferenced.
   */
  private async indexVersionNames(): Promise<void> {
    // A cluster's keys were laid out after versions kept their names: nothing to index.
    if (this.keys.layout === 'tagged') return;
    if ((await this.redis.exists(this.keys.versionNamesIndexed)) === 1) return;
    const redis = this.redis as Redis;
    const pattern = this.keys.ensembleHistory('*', '*');
    const [before, after] = pattern.split('*:ensemble:*') as [string, string];
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      for (const key of found) {
        // {p}:tenant:{t}:ensemble:{name}:history; neither a tenant nor a name holds ':'.
        const [tenant, name] = key.slice(before.length, key.length - after.length).split(':ensemble:');
        if (!tenant || !name) continue;
        const versions = await redis.lrange(key, 0, -1);
        if (versions.length === 0) continue;
        const pipeline = redis.pipeline();
        for (const version of versions) pipeline.sadd(this.keys.versionNames(version), `${tenant}:${name}`);
        await exec(pipeline);
      }
    } while (cursor !== '0');
    await redis.set(this.keys.versionNamesIndexed, String(Date.now()));
  }

  /** Queues the writes of a new version: its chunks, then its record. */
  private writeVersion(
    transaction: ChainableCommander,
    version: string,
    canonicalManifest: string,
    architecture: EnsembleArchitecture,
    weights: Uint8Array,
    now: number,
  ): void {
    const chunks = Math.ceil(weights.byteLength / this.chunkBytes);
    for (let i = 0; i < chunks; i++) {
      const begin = i * this.chunkBytes;
      const length = Math.min(this.chunkBytes, weights.byteLength - begin);
      // A view, not a copy: ioredis writes its bytes as a binary bulk string.
      transaction.set(this.keys.weightsChunk(version, i), Buffer.from(weights.buffer, weights.byteOffset + begin, length));
    }
    let perMember = 0;
    for (const shape of architecture.parameterShapes.values()) perMember += sizeOf(shape);
    const { createdAt, ...fields } = versionRecordFields({
      manifest: canonicalManifest,
      members: architecture.manifest.members,
      parameters: perMember * architecture.manifest.members,
      bytes: weights.byteLength,
      chunks,
      chunkBytes: this.chunkBytes,
      createdAt: now,
    });
    const key = this.keys.version(version);
    // Two uploads of the same new content can race past the existence check:
    // both write the same bytes, and the first createdAt stays.
    transaction.hset(key, fields).hsetnx(key, 'createdAt', String(createdAt));
  }

  /**
   * A version as one tenant's name shows it: with the time the name first
   * pointed at it. Names registered before that time was kept show when the
   * content was first stored.
   */
  private forName(info: EnsembleVersionInfo, createdAt: string | null | undefined): EnsembleVersionInfo {
    const ms = Number(createdAt);
    return createdAt && Number.isSafeInteger(ms) ? { ...info, createdAt: ms } : info;
  }

  /** A version's description, read and its manifest parsed once per process (a version never changes). */
  private async info(version: string): Promise<EnsembleVersionInfo> {
    const cached = this.described.get(version);
    if (cached) {
      this.described.delete(version);
      this.described.set(version, cached);
      return cached;
    }
    const info = describe(version, await this.record(version));
    this.described.set(version, info);
    if (this.described.size > DESCRIBED_VERSIONS) this.described.delete(this.described.keys().next().value as string);
    return info;
  }

  private async infos(versions: readonly string[]): Promise<EnsembleVersionInfo[]> {
    const pipeline = this.redis.pipeline();
    for (const version of versions) pipeline.hgetall(this.keys.version(version));
    const records = await exec(pipeline);
    return versions.map((version, i) => describe(version, parseRecord(version, records[i])));
  }

  private async record(version: string): Promise<VersionRecord> {
    return parseRecord(version, await this.redis.hgetall(this.keys.version(version)));
  }
}

function parseRecord(version: string, fields: unknown): VersionRecord {
  if (fields === null || typeof fields !== 'object' || Object.keys(fields).length === 0) {
    throw notFound(`no ensemble version ${version}`);
  }
  const parsed = versionRecordSchema.safeParse(fields);
  if (!parsed.success) throw new Error(`the record of version ${version} is corrupt: ${parsed.error.message}`, { cause: parsed.error });
  const record = parsed.data;
  if (record.chunks !== Math.ceil(record.bytes / record.chunkBytes)) {
    throw new Error(`the record of version ${version} is corrupt: ${record.chunks} chunks cannot hold ${record.bytes} bytes`);
  }
  return record;
}

function describe(version: string, record: VersionRecord): EnsembleVersionInfo {
  const architecture = architectureOf(record);
  const { manifest } = architecture;
  return {
    name: manifest.name,
    version,
    digest: `sha256:${version}`,
    members: record.members,
    parameters: record.parameters,
    bytes: record.bytes,
    createdAt: record.createdAt,
    manifest,
    architecture,
  };
}

function architectureOf(record: VersionRecord): EnsembleArchitecture {
  return parseManifest(JSON.parse(record.manifest));
}

/** Runs a pipeline or transaction and returns its replies, throwing the first command error. */
async function exec(commands: ChainableCommander): Promise<unknown[]> {
  const replies = await commands.exec();
  if (replies === null) throw new Error('Redis discarded the transaction');
  return replies.map(([error, reply]) => {
    if (error) throw error;
    return reply;
  });
}

/** The field of a name's hash that holds when the name first pointed at `version`. */
function createdField(version: string): string {
  return `created:${version}`;
}

/**
 * Points a tenant's name at a version, atomically: the version first (again)
 * in the name's history, the name's latest, when the name first pointed at
 * it (kept from the first time), and the name among the version's names.
 * Returns that time, or 0 when the version is no longer stored (collected).
 * KEYS: the name's hash, its history, the tenant's names, the version's record,
 * its names, the unreferenced versions; ARGV: version, name, now, `tenant:name`.
 */
const POINT_NAME = `
if redis.call('EXISTS', KEYS[4]) == 0 then return 0 end
local created = 'created:' .. ARGV[1]
redis.call('HSETNX', KEYS[1], created, ARGV[3])
local first = redis.call('HGET', KEYS[1], created)
redis.call('HSET', KEYS[1], 'latest', ARGV[1], 'latestCreatedAt', first, 'updatedAt', ARGV[3])
redis.call('LREM', KEYS[2], 0, ARGV[1])
redis.call('LPUSH', KEYS[2], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[2])
redis.call('SADD', KEYS[5], ARGV[4])
redis.call('ZREM', KEYS[6], ARGV[1])
return tonumber(first)
`;

/**
 * Removes a tenant's name: its record and history, the name from the
 * tenant's names and from each of its versions' names; a version left with
 * no name becomes a candidate for collection. Returns 1 when the name existed,
 * -1 when its history is no longer the versions the caller read (read again).
 * KEYS: the name's hash, its history, the tenant's names, the unreferenced
 * versions, then the names of each version in the history, in its order;
 * ARGV: name, `tenant:name`, now, then the versions in the history.
 */
const DELETE_NAME = `
local versions = redis.call('LRANGE', KEYS[2], 0, -1)
if #versions ~= #ARGV - 3 then return -1 end
for i, version in ipairs(versions) do
  if version ~= ARGV[i + 3] then return -1 end
end
for i, version in ipairs(versions) do
  local names = KEYS[i + 4]
  redis.call('SREM', names, ARGV[2])
  if redis.call('SCARD', names) == 0 then redis.call('ZADD', KEYS[4], 'NX', ARGV[3], version) end
end
redis.call('DEL', KEYS[2])
redis.call('SREM', KEYS[3], ARGV[1])
return redis.call('DEL', KEYS[1])
`;

/**
 * Which of the candidate versions the jobs' data names (a job's data names
 * its version first as `"version":"…"`). KEYS: job hashes of one queue shard;
 * ARGV: the candidate versions. Returns those some job names.
 */
const VERSIONS_NEEDED = `
local candidates = {}
for _, version in ipairs(ARGV) do candidates[version] = true end
local needed = {}
for _, key in ipairs(KEYS) do
  local data = redis.call('HGET', key, 'data')
  local version = data and string.match(data, '"version":"(%x+)"')
  if version and candidates[version] then
    candidates[version] = nil
    table.insert(needed, version)
  end
end
return needed
`;

/**
 * Deletes a candidate version, weights and all, unless a name points at it
 * again (taken off the list) or it left the list and came back since the
 * caller read it (its time differs: left for the next round). The caller has
 * checked that no unfinished job needs it.
 * KEYS: the unreferenced versions, the version's names, its record, then its
 * chunks (as many as the record said); ARGV: version, its time on the list
 * as read. Returns 'named', 'moved' or 'collected'.
 */
const COLLECT_VERSION = `
local version = ARGV[1]
if redis.call('ZSCORE', KEYS[1], version) ~= ARGV[2] then return 'moved' end
if redis.call('SCARD', KEYS[2]) > 0 then
  redis.call('ZREM', KEYS[1], version)
  return 'named'
end
if tonumber(redis.call('HGET', KEYS[3], 'chunks') or '0') ~= #KEYS - 3 then return 'moved' end
for i = 4, #KEYS do redis.call('DEL', KEYS[i]) end
redis.call('DEL', KEYS[3], KEYS[2])
redis.call('ZREM', KEYS[1], version)
return 'collected'
`;

function notFound(message: string): RegistryError {
  return new RegistryError('ENSEMBLE_NOT_FOUND', message);
}
