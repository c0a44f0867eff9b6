/** The example ensemble registered on first start: the seed tutorial's ten MLPs, seeded weights. */
import {
  EXAMPLE_WEIGHT_SEED,
  parseManifest,
  randomMembers,
  seedMlpManifest,
  stackFloat32Members,
  writeStackedEnsemble,
} from '@ensembles/core';
import { type EnsembleRegistry, RegistryError } from '@ensembles/registry';

/** Registers the example for `tenant` unless the name is taken; returns its name and version. */
export async function registerExampleEnsemble(
  registry: EnsembleRegistry,
  tenant: string,
): Promise<{ name: string; version: string; created: boolean }> {
  const { name } = seedMlpManifest;
  try {
    const existing = await registry.resolve(tenant, name);
    return { name, version: existing.version, created: false };
  } catch (error) {
    if (!(error instanceof RegistryError && error.code === 'ENSEMBLE_NOT_FOUND')) throw error;
  }
  const architecture = parseManifest(seedMlpManifest);
  const stacked = stackFloat32Members(architecture, randomMembers(architecture, EXAMPLE_WEIGHT_SEED));
  const weights = writeStackedEnsemble(stacked);
  const info = await registry.register(tenant, seedMlpManifest, weights);
  return { name, version: info.version, created: info.created };
}
