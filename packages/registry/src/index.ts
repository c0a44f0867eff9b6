/**
 * @ensembles/registry: ensemble versions (manifest + stacked weights) stored
 * once by content in Redis, and each tenant's names for them.
 */

export { MIN_VERSION_PREFIX } from './ensemble-reference.js';
export {
  DEFAULT_CHUNK_BYTES,
  EnsembleRegistry,
  type EnsembleRegistryOptions,
  type EnsembleVersionInfo,
  type LoadedVersion,
  type RegisteredEnsemble,
} from './ensemble-registry.js';
export { RegistryError, type RegistryErrorCode } from './registry-error.js';
