/**
 * Checks the identifiers a caller hands the registry, before any of them
 * becomes part of a Redis key: tenant ids, ensemble names (the manifest's
 * name rule), versions and `name@version` references.
 */
import { manifestSchema } from '@ensembles/core';
import { RegistryError } from './registry-error.js';

/** Shortest version prefix accepted in `name@version`: 48 bits, unambiguous in any one name's history. */
export const MIN_VERSION_PREFIX = 12;

const tenantPattern = /^[A-Za-z0-9._-]{1,64}$/;
const versionPattern = /^[0-9a-f]{64}$/;
const versionPrefixPattern = new RegExp(`^[0-9a-f]{${MIN_VERSION_PREFIX},64}$`);

/** A parsed reference: a name, and a version or version prefix (lowercase hex) when one was given. */
export interface EnsembleReference {
  readonly name: string;
  readonly version?: string;
}

/**
 * @example
 * checkTenant('acme'); // ok
 * checkTenant('a:b'); // throws RegistryError INVALID_REFERENCE
 */
export function checkTenant(tenant: string): void {
  if (!tenantPattern.test(tenant)) {
    throw invalid(`tenant id ${JSON.stringify(tenant)} must be 1-64 letters, digits, ".", "_" or "-"`);
  }
}

/**
 * @example
 * checkName('mnist-mlp'); // ok
 * checkName('-bad'); // throws RegistryError INVALID_REFERENCE
 */
export function checkName(name: string): void {
  const parsed = manifestSchema.shape.name.safeParse(name);
  if (!parsed.success) throw invalid(`ensemble name ${JSON.stringify(name)} ${parsed.error.issues[0]?.message ?? 'is invalid'}`);
}

/**
 * @example
 * checkVersion('3f5a…'); // ok for 64 lowercase hex digits
 */
export function checkVersion(version: string): void {
  if (!versionPattern.test(version)) {
    throw invalid(`version ${JSON.stringify(version)} must be a SHA-256 digest: 64 lowercase hex digits`);
  }
}

/**
 * @example
 * parseReference('mnist-mlp'); // { name: 'mnist-mlp' }
 * parseReference('mnist-mlp@3F5A0C12D9E4'); // { name: 'mnist-mlp', version: '3f5a0c12d9e4' }
 */
export function parseReference(reference: string): EnsembleReference {
  const at = reference.indexOf('@');
  if (at < 0) {
    checkName(reference);
    return { name: reference };
  }
  const name = reference.slice(0, at);
  const version = reference.slice(at + 1).toLowerCase();
  checkName(name);
  if (!versionPrefixPattern.test(version)) {
    throw invalid(`version in ${JSON.stringify(reference)} must be ${MIN_VERSION_PREFIX} to 64 hex digits of a version (name@version)`);
  }
  return { name, version };
}

function invalid(message: string): RegistryError {
  return new RegistryError('INVALID_REFERENCE', message);
}
