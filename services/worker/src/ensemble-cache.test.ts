import {
  EngineError,
  OnnxEngine,
  parseManifest,
  randomInput,
  randomMembers,
  stackFloat32Members,
  writeStackedEnsemble,
} from '@ensembles/core';
import { afterAll, describe, expect, it } from 'vitest';
import { EnsembleCache, type VersionSource } from './ensemble-cache.js';

const architecture = parseManifest({
  name: 'tiny',
  members: 2,
  input: { shape: [4] },
  layers: [{ op: 'linear', name: 'fc', in: 4, out: 3 }],
});

/** Versions held in memory, read the way the registry serves them. */
function source(): VersionSource & { loads: string[] } {
  const weights = (seed: number) => {
    const stacked = stackFloat32Members(architecture, randomMembers(architecture, seed));
    return writeStackedEnsemble(stacked);
  };
  const loads: string[] = [];
  return {
    loads,
    loadVersion: async (version) => ({ version, manifest: architecture.manifest, architecture, bytes: 0 }),
    loadWeights: async (version) => {
      loads.push(version);
      return weights(Number(version.at(-1)));
    },
  };
}

const engine = new OnnxEngine({ threads: 1 });
afterAll(() => engine.dispose());

describe('EnsembleCache', () => {
  it('compiles a version once for concurrent users, and counts hits and loads', async () => {
    const versions = source();
    const cache = new EnsembleCache(versions, engine);
    const input = randomInput([1, 4], 1);
    await Promise.all([1, 2, 3].map(() => cache.use('v1', (compiled) => compiled.run(input, { mode: 'shared' }))));
    expect(versions.loads).toEqual(['v1']);
    expect(cache.stats()).toMatchObject({ loads: 1, hits: 2, versions: ['v1'] });
    await cache.dispose();
  });

  it('evicts the least recently used version past its budget, but not while a pass still uses it', async () => {
    const versions = source();
    // room for one version only: each holds 2 x (4 x 3 + 3) float32 = 120 bytes of weights plus the file header
    const cache = new EnsembleCache(versions, engine, 300);
    const input = randomInput([1, 4], 2);
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let kept: Parameters<Parameters<EnsembleCache['use']>[1]>[0] | undefined;
    const firstUse = cache.use('v1', async (compiled) => {
      kept = compiled;
      await held;
      return compiled.run(input, { mode: 'shared' });
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await cache.use('v2', (compiled) => compiled.run(input, { mode: 'shared' }));
    expect(cache.stats()).toMatchObject({ evictions: 1, versions: ['v2'] });
    release();
    const output = await firstUse; // v1 still ran after its eviction
    expect(output.shape).toEqual([2, 1, 3]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await expect(kept?.run(input, { mode: 'shared' })).rejects.toBeInstanceOf(EngineError); // and was disposed after
    await cache.dispose();
  });
});
