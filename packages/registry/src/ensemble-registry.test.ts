import { createHash, randomUUID } from 'node:crypto';
import {
  float32Tensor,
  ManifestError,
  type ManifestInput,
  MembersMismatchError,
  ParametersError,
  parseManifest,
  randomMembers,
  readSafetensors,
  SafetensorsError,
  stackFloat32Members,
  writeSafetensors,
} from '@ensembles/core';
import { redisKeys } from '@ensembles/jobs';
import { type PrivateRedis, startPrivateRedis } from '@ensembles/redis-testing';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EnsembleRegistry } from './ensemble-registry.js';
import { RegistryError } from './registry-error.js';

let server: PrivateRedis;
let redis: Redis;
const prefixes: string[] = [];

beforeAll(async () => {
  server = await startPrivateRedis();
  redis = new Redis(server.url);
});

afterEach(async () => {
  for (const prefix of prefixes.splice(0)) {
    const keys = await keysUnder(prefix);
    if (keys.length > 0) await redis.del(...keys);
  }
});

afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
});

/** A registry under a prefix of its own, with chunks small enough that every file spans several. */
function freshRegistry() {
  const keys = redisKeys(`test-${randomUUID()}`);
  prefixes.push(keys.prefix);
  return { keys, registry: new EnsembleRegistry(redis, { keys, chunkBytes: 1000 }) };
}

async function keysUnder(prefix: string, pattern = '*'): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:${pattern}`, 'COUNT', 1000);
    found.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return found.sort();
}

/** 3 MLPs 16-32-4: 676 parameters each, about 8 KB stacked. */
function mlp(name = 'tiny-mlp', members = 3): ManifestInput {
  return {
    name,
    members,
    input: { shape: [16] },
    layers: [{ op: 'linear', name: 'fc1', in: 16, out: 32 }, { op: 'relu' }, { op: 'linear', name: 'fc2', in: 32, out: 4 }],
  };
}

/** Per-member safetensors files, as `safetensors.torch.save_file` writes state dicts. */
function memberFiles(manifest: ManifestInput, seed: number): Uint8Array[] {
  const architecture = parseManifest(manifest);
  return randomMembers(architecture, seed).map((member) =>
    writeSafetensors([...member].map(([name, data]) => float32Tensor(name, architecture.parameterShapes.get(name) ?? [], data))),
  );
}

/** The stacked file `ensemble stack` writes for the same members. */
function stackedFile(manifest: ManifestInput, seed: number): Uint8Array {
  const architecture = parseManifest(manifest);
  const { members } = architecture.manifest;
  const stacked = stackFloat32Members(architecture, randomMembers(architecture, seed));
  const tensors = [...stacked.parameters].map(([parameter, data]) =>
    float32Tensor(parameter, [members, ...(architecture.parameterShapes.get(parameter) ?? [])], data),
  );
  return writeSafetensors(tensors);
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail('expected a rejection'),
    (error: unknown) => error,
  );
}

async function expectRegistryError(promise: Promise<unknown>, code: RegistryError['code']): Promise<void> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(RegistryError);
  expect(error).toMatchObject({ code, name: 'RegistryError' });
}

describe('EnsembleRegistry', () => {
  it('stores a version in binary chunks and gives back the same bytes', async () => {
    const { keys, registry } = freshRegistry();
    const weights = stackedFile(mlp(), 1);
    const info = await registry.register('acme', mlp(), weights);

    expect(info).toMatchObject({ name: 'tiny-mlp', created: true, members: 3, parameters: 3 * (16 * 32 + 32 + 32 * 4 + 4) });
    expect(info.bytes).toBe(weights.byteLength);
    expect(info.version).toMatch(/^[0-9a-f]{64}$/);
    expect(info.digest).toBe(`sha256:${info.version}`);
    expect(info.manifest.input.dtype).toBe('float32'); // the default, filled in
    expect(info.architecture.outputShape).toEqual([4]);
    expect(info.createdAt).toBeGreaterThan(0);

    const chunkKeys = await keysUnder(keys.prefix, 'weights:*');
    expect(chunkKeys).toHaveLength(Math.ceil(weights.byteLength / 1000));
    expect(chunkKeys.length).toBeGreaterThan(1);
    const firstChunk = await redis.getBuffer(keys.weightsChunk(info.version, 0));
    expect(firstChunk?.equals(weights.subarray(0, 1000))).toBe(true);

    const resolved = await registry.resolve('acme', 'tiny-mlp');
    expect(resolved.version).toBe(info.version);
    const loaded = await registry.loadWeights(info.version);
    expect(loaded).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(loaded).equals(weights)).toBe(true);
    const version = await registry.loadVersion(info.version);
    expect(version).toMatchObject({ version: info.version, bytes: weights.byteLength, manifest: info.manifest });
    expect(version.architecture.parameterShapes.get('fc1.weight')).toEqual([32, 16]);
  });

  it('names a version by the SHA-256 of its canonical manifest, a 0 byte and its weights', async () => {
    const { registry } = freshRegistry();
    const weights = stackedFile(mlp(), 1);
    const info = await registry.register('acme', mlp(), weights);
    const canonical =
      '{"input":{"dtype":"float32","shape":[16]},"layers":[{"bias":true,"in":16,"name":"fc1","op":"linear","out":32},' +
      '{"op":"relu"},{"bias":true,"in":32,"name":"fc2","op":"linear","out":4}],"members":3,"name":"tiny-mlp"}';
    const expected = createHash('sha256').update(canonical).update(Uint8Array.of(0)).update(weights).digest('hex');
    expect(info.version).toBe(expected);

    // Key order and explicit defaults do not change the content.
    const reordered = { layers: mlp().layers, input: { dtype: 'float32', shape: [16] }, members: 3, name: 'tiny-mlp' };
    const again = await registry.register('acme', reordered, weights);
    expect(again).toMatchObject({ version: info.version, created: false });
  });

  it('stores the same content once, whichever tenant registers it', async () => {
    const { keys, registry } = freshRegistry();
    const weights = stackedFile(mlp(), 1);
    const first = await registry.register('acme', mlp(), weights);
    const before = await keysUnder(keys.prefix);

    const second = await registry.register('acme', mlp(), weights);
    expect(second).toMatchObject({ version: first.version, created: false, createdAt: first.createdAt });
    expect(await keysUnder(keys.prefix)).toEqual(before);

    const chunksBefore = await keysUnder(keys.prefix, 'weights:*');
    const other = await registry.register('globex', mlp(), weights);
    // new to globex, whoever stored the bytes first: one tenant learns nothing of another's uploads
    expect(other).toMatchObject({ version: first.version, created: true });
    expect(await keysUnder(keys.prefix, 'weights:*')).toEqual(chunksBefore);
    expect((await registry.resolve('globex', 'tiny-mlp')).version).toBe(first.version);
  });

  it("shows when each tenant's name got a version, never when another tenant stored the same content", async () => {
    const { registry } = freshRegistry();
    const weights = stackedFile(mlp(), 1);
    const first = await registry.register('acme', mlp(), weights);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const other = await registry.register('globex', mlp(), weights);
    expect(other.version).toBe(first.version);
    expect(other.createdAt).toBeGreaterThan(first.createdAt);
    await new Promise((resolve) => setTimeout(resolve, 5));
    // Registered again, and pointed at another version meanwhile: the name's first time stays.
    await registry.register('globex', mlp(), stackedFile(mlp(), 2));
    const again = await registry.register('globex', mlp(), weights);
    expect(again).toMatchObject({ created: false, createdAt: other.createdAt });
    for (const [tenant, expected] of [
      ['acme', first.createdAt],
      ['globex', other.createdAt],
    ] as const) {
      expect((await registry.resolve(tenant, 'tiny-mlp')).createdAt).toBe(expected);
      expect((await registry.resolve(tenant, `tiny-mlp@${first.version.slice(0, 12)}`)).createdAt).toBe(expected);
      expect((await registry.list(tenant))[0]?.createdAt).toBe(expected);
      expect((await registry.versions(tenant, 'tiny-mlp'))[0]?.createdAt).toBe(expected);
    }
  });

  it('moves the name to new content and keeps the old version addressable', async () => {
    const { registry } = freshRegistry();
    const v1 = await registry.register('acme', mlp(), stackedFile(mlp(), 1));
    const v2 = await registry.register('acme', mlp(), stackedFile(mlp(), 2));
    expect(v2.created).toBe(true);
    expect(v2.version).not.toBe(v1.version);

    expect((await registry.resolve('acme', 'tiny-mlp')).version).toBe(v2.version);
    expect((await registry.resolve('acme', `tiny-mlp@${v1.version}`)).version).toBe(v1.version);
    expect((await registry.resolve('acme', `tiny-mlp@${v1.version.slice(0, 12)}`)).version).toBe(v1.version);
    expect((await registry.resolve('acme', `tiny-mlp@${v1.version.slice(0, 12).toUpperCase()}`)).version).toBe(v1.version);
    expect((await registry.versions('acme', 'tiny-mlp')).map((info) => info.version)).toEqual([v2.version, v1.version]);

    await expectRegistryError(registry.resolve('acme', `tiny-mlp@${v1.version.slice(0, 11)}`), 'INVALID_REFERENCE');
    const unknown = v1.version.startsWith('0') ? `1${v1.version.slice(1)}` : `0${v1.version.slice(1)}`;
    await expectRegistryError(registry.resolve('acme', `tiny-mlp@${unknown}`), 'ENSEMBLE_NOT_FOUND');

    // Registering the old content again makes it the latest again, without a second history entry.
    const back = await registry.register('acme', mlp(), stackedFile(mlp(), 1));
    expect(back).toMatchObject({ version: v1.version, created: false });
    expect((await registry.resolve('acme', 'tiny-mlp')).version).toBe(v1.version);
    expect((await registry.versions('acme', 'tiny-mlp')).map((info) => info.version)).toEqual([v1.version, v2.version]);
  });

  it('lists the latest version of each name, sorted by name', async () => {
    const { registry } = freshRegistry();
    expect(await registry.list('acme')).toEqual([]);
    const zeta = await registry.register('acme', mlp('zeta'), stackedFile(mlp('zeta'), 1));
    await registry.register('acme', mlp('alpha'), stackedFile(mlp('alpha'), 1));
    const alpha = await registry.register('acme', mlp('alpha'), stackedFile(mlp('alpha'), 2));
    await registry.register('globex', mlp('beta'), stackedFile(mlp('beta'), 1));

    const listed = await registry.list('acme');
    expect(listed.map((info) => [info.name, info.version])).toEqual([
      ['alpha', alpha.version],
      ['zeta', zeta.version],
    ]);
  });

  it('gives the same weights the same version whatever metadata or tensor order their file has', async () => {
    const { registry } = freshRegistry();
    const weights = stackedFile(mlp(), 1);
    const first = await registry.register('acme', mlp(), weights);
    const { tensors } = readSafetensors(weights);
    const rewritten = writeSafetensors([...tensors.values()].reverse(), { producer: 'torch', note: 'same tensors' });
    const again = await registry.register('acme', mlp(), rewritten);
    expect(again).toMatchObject({ version: first.version, created: false });
  });

  it('stacks member files into the same version as the stacked file', async () => {
    const { registry } = freshRegistry();
    const fromMembers = await registry.registerMembers('acme', mlp(), memberFiles(mlp(), 7));
    expect(fromMembers.created).toBe(true);
    const fromStacked = await registry.register('acme', mlp(), stackedFile(mlp(), 7));
    expect(fromStacked).toMatchObject({ version: fromMembers.version, created: false });
    expect(Buffer.from(await registry.loadWeights(fromMembers.version)).equals(stackedFile(mlp(), 7))).toBe(true);
  });

  it("keeps each tenant's names to itself", async () => {
    const { registry } = freshRegistry();
    const info = await registry.register('acme', mlp(), stackedFile(mlp(), 1));
    await expectRegistryError(registry.resolve('globex', 'tiny-mlp'), 'ENSEMBLE_NOT_FOUND');
    await expectRegistryError(registry.resolve('globex', `tiny-mlp@${info.version}`), 'ENSEMBLE_NOT_FOUND');
    await expectRegistryError(registry.versions('globex', 'tiny-mlp'), 'ENSEMBLE_NOT_FOUND');
    // The same error as for a name nobody has.
    const foreign = (await rejection(registry.resolve('globex', 'tiny-mlp'))) as RegistryError;
    const nowhere = (await rejection(registry.resolve('globex', 'tiny-mlq'))) as RegistryError;
    expect(foreign.message.replace('tiny-mlp', 'NAME')).toBe(nowhere.message.replace('tiny-mlq', 'NAME'));
    expect(await registry.list('globex')).toEqual([]);
    expect(await registry.delete('globex', 'tiny-mlp')).toBe(false);
    expect((await registry.resolve('acme', 'tiny-mlp')).version).toBe(info.version);
  });

  it('deletes a name but keeps its versions for the jobs already queued', async () => {
    const { keys, registry } = freshRegistry();
    const weights = stackedFile(mlp(), 1);
    const info = await registry.register('acme', mlp(), weights);

    expect(await registry.delete('acme', 'tiny-mlp')).toBe(true);
    await expectRegistryError(registry.resolve('acme', 'tiny-mlp'), 'ENSEMBLE_NOT_FOUND');
    await expectRegistryError(registry.resolve('acme', `tiny-mlp@${info.version}`), 'ENSEMBLE_NOT_FOUND');
    await expectRegistryError(registry.versions('acme', 'tiny-mlp'), 'ENSEMBLE_NOT_FOUND');
    expect(await registry.list('acme')).toEqual([]);
    expect(await redis.exists(keys.tenantEnsembles('acme'), keys.ensembleName('acme', 'tiny-mlp'))).toBe(0);
    expect(await registry.delete('acme', 'tiny-mlp')).toBe(false);

    expect(Buffer.from(await registry.loadWeights(info.version)).equals(weights)).toBe(true);
    expect((await registry.loadVersion(info.version)).version).toBe(info.version);
  });

  it('collects the versions no name points at once no unfinished job needs them, weights and all', async () => {
    const { keys, registry } = freshRegistry();
    const shared = await registry.register('acme', mlp(), stackedFile(mlp(), 1));
    await registry.register('globex', mlp(), stackedFile(mlp(), 1));
    const own = await registry.register('acme', mlp(), stackedFile(mlp(), 2));
    const queued = await registry.register('acme', { ...mlp(), name: 'queued-mlp' }, stackedFile(mlp(), 3));
    // A job waiting for `queued`, as BullMQ stores it: its id in the wait list, its data in its hash.
    await redis.lpush(`${keys.predictionQueue}:wait`, 'job-1');
    await redis.hset(
      `${keys.predictionQueue}:job-1`,
      'data',
      JSON.stringify({ tenant: 'acme', ensemble: 'queued-mlp', version: queued.version }),
    );

    expect(await registry.delete('acme', 'tiny-mlp')).toBe(true);
    expect(await registry.delete('acme', 'queued-mlp')).toBe(true);
    // `shared` is still globex's; `queued` is needed by the waiting job; `own` goes.
    expect(await registry.collectUnreferenced()).toEqual([own.version]);
    await expectRegistryError(registry.loadVersion(own.version), 'ENSEMBLE_NOT_FOUND');
    expect(await keysUnder(keys.prefix, `weights:${own.version}:*`)).toEqual([]);
    expect(await keysUnder(keys.prefix, `version:${own.version}*`)).toEqual([]);
    expect((await registry.loadVersion(shared.version)).version).toBe(shared.version);
    expect((await registry.loadVersion(queued.version)).version).toBe(queued.version);

    // Once the job has finished, `queued` goes too; registering `own` again stores it again.
    await redis.del(`${keys.predictionQueue}:wait`);
    expect(await registry.collectUnreferenced()).toEqual([queued.version]);
    const again = await registry.register('acme', mlp(), stackedFile(mlp(), 2));
    expect(again.version).toBe(own.version);
    expect(Buffer.from(await registry.loadWeights(own.version)).equals(stackedFile(mlp(), 2))).toBe(true);
    expect(await registry.collectUnreferenced()).toEqual([]);
  });

  it('counts the names registered before versions kept their names, and collects nothing they point at', async () => {
    const { keys, registry } = freshRegistry();
    const info = await registry.register('acme', mlp(), stackedFile(mlp(), 1));
    await registry.register('globex', mlp(), stackedFile(mlp(), 1));
    // As stored before: no names kept for the version.
    await redis.del(keys.versionNames(info.version));
    await registry.delete('acme', 'tiny-mlp');
    expect(await registry.collectUnreferenced()).toEqual([]);
    expect(await redis.smembers(keys.versionNames(info.version))).toEqual(['globex:tiny-mlp']);
    expect((await registry.resolve('globex', 'tiny-mlp')).version).toBe(info.version);
  });

  it('rejects an invalid manifest with its issues and writes nothing', async () => {
    const { keys, registry } = freshRegistry();
    const manifest = {
      ...mlp(),
      layers: [
        { op: 'linear', name: 'fc1', in: 16, out: 32 },
        { op: 'linear', name: 'fc2', in: 33, out: 4 },
      ],
    };
    const error = await rejection(registry.register('acme', manifest, stackedFile(mlp(), 1)));
    expect(error).toBeInstanceOf(ManifestError);
    expect((error as ManifestError).issues).toEqual([{ path: 'layers[1]', message: expect.stringContaining('33') }]);

    const badName = await rejection(registry.register('acme', { ...mlp(), name: 'no spaces' }, stackedFile(mlp(), 1)));
    expect(badName).toBeInstanceOf(ManifestError);
    expect((badName as ManifestError).issues.map((issue) => issue.path)).toEqual(['name']);
    expect(await keysUnder(keys.prefix)).toEqual([]);
  });

  it('rejects weights that do not match the manifest with their issues and writes nothing', async () => {
    const { keys, registry } = freshRegistry();
    const wider = {
      ...mlp(),
      layers: [{ op: 'linear', name: 'fc1', in: 16, out: 32 }, { op: 'relu' }, { op: 'linear', name: 'fc2', in: 32, out: 5 }],
    };
    const error = await rejection(registry.register('acme', wider, stackedFile(mlp(), 1)));
    expect(error).toBeInstanceOf(ParametersError);
    expect((error as ParametersError).issues.map((issue) => issue.path).sort()).toEqual(['fc2.bias', 'fc2.weight']);

    const twoMembers = await rejection(registry.register('acme', mlp('tiny-mlp', 2), stackedFile(mlp(), 1)));
    expect(twoMembers).toBeInstanceOf(ParametersError);

    const members = await rejection(registry.registerMembers('acme', mlp(), memberFiles(mlp(), 1).slice(0, 2)));
    expect(members).toBeInstanceOf(MembersMismatchError);

    const truncated = stackedFile(mlp(), 1).subarray(0, 500);
    expect(await rejection(registry.register('acme', mlp(), truncated))).toBeInstanceOf(SafetensorsError);
    expect(await keysUnder(keys.prefix)).toEqual([]);
  });

  it('rejects tenant ids, names and versions that cannot be keys', async () => {
    const { keys, registry } = freshRegistry();
    const weights = stackedFile(mlp(), 1);
    for (const tenant of ['', 'a:b', 'x'.repeat(65), 'acme*']) {
      await expectRegistryError(registry.register(tenant, mlp(), weights), 'INVALID_REFERENCE');
      await expectRegistryError(registry.resolve(tenant, 'tiny-mlp'), 'INVALID_REFERENCE');
    }
    for (const reference of ['', 'a:b', 'tiny-mlp@', 'tiny-mlp@xyz123456789ab', 'tiny-mlp@abc@def', '*']) {
      await expectRegistryError(registry.resolve('acme', reference), 'INVALID_REFERENCE');
    }
    await expectRegistryError(registry.delete('acme', 'a*'), 'INVALID_REFERENCE');
    await expectRegistryError(registry.loadWeights('abc'), 'INVALID_REFERENCE');
    await expectRegistryError(registry.loadWeights('0'.repeat(64)), 'ENSEMBLE_NOT_FOUND');
    await expectRegistryError(registry.loadVersion('0'.repeat(64)), 'ENSEMBLE_NOT_FOUND');
    expect(await keysUnder(keys.prefix)).toEqual([]);
    expect(() => new EnsembleRegistry(redis, { chunkBytes: 0 })).toThrow(/chunkBytes/);
  });

  it('refuses to load weights whose chunks were damaged or lost', async () => {
    const { keys, registry } = freshRegistry();
    const info = await registry.register('acme', mlp(), stackedFile(mlp(), 1));
    const chunk = keys.weightsChunk(info.version, 1);
    const original = await redis.getBuffer(chunk);
    if (!original) throw new Error('chunk 1 was not stored');

    const flipped = Buffer.from(original);
    flipped[0] = (flipped[0] ?? 0) ^ 0xff;
    await redis.set(chunk, flipped);
    await expect(registry.loadWeights(info.version)).rejects.toThrow(/corrupt/);

    await redis.set(chunk, original.subarray(1));
    await expect(registry.loadWeights(info.version)).rejects.toThrow(/chunk 1 holds 999 bytes/);

    await redis.del(chunk);
    await expectRegistryError(registry.loadWeights(info.version), 'ENSEMBLE_NOT_FOUND');
  });
});
