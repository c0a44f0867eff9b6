import { describe, expect, it } from 'vitest';
import { checkName, checkTenant, checkVersion, parseReference } from './ensemble-reference.js';
import { RegistryError } from './registry-error.js';

const version = 'ab'.repeat(32);

describe('ensemble references', () => {
  it('splits name@version and lowercases the version', () => {
    expect(parseReference('mnist-mlp')).toEqual({ name: 'mnist-mlp' });
    expect(parseReference(`mnist-mlp@${version.toUpperCase()}`)).toEqual({ name: 'mnist-mlp', version });
    expect(parseReference('m.v2@0123456789ab')).toEqual({ name: 'm.v2', version: '0123456789ab' });
  });

  it.each([
    ['', 'an empty name'],
    ['-mlp', 'a name starting with "-"'],
    ['a:b', 'a ":" (the key separator)'],
    ['mlp@0123456789a', 'an 11-digit prefix'],
    [`mlp@${version}0`, 'more than 64 digits'],
    ['mlp@0123456789ag', 'a non-hex digit'],
    [`@${version}`, 'no name'],
  ])('rejects %j (%s) as INVALID_REFERENCE', (reference) => {
    expect(() => parseReference(reference)).toThrow(RegistryError);
    expect(() => parseReference(reference)).toThrow(expect.objectContaining({ code: 'INVALID_REFERENCE' }));
  });

  it('accepts tenant ids of 1-64 letters, digits, ".", "_" and "-"', () => {
    expect(() => checkTenant('acme_01.eu-west')).not.toThrow();
    expect(() => checkTenant('x'.repeat(64))).not.toThrow();
    for (const tenant of ['', 'x'.repeat(65), 'a b', 'a:b', 'a*', 'ü']) {
      expect(() => checkTenant(tenant)).toThrow(expect.objectContaining({ code: 'INVALID_REFERENCE' }));
    }
  });

  it('takes the name rule from the manifest and versions as full SHA-256 digests', () => {
    expect(() => checkName('x'.repeat(129))).toThrow(/1-128 letters/);
    expect(() => checkVersion(version)).not.toThrow();
    expect(() => checkVersion(version.toUpperCase())).toThrow(expect.objectContaining({ code: 'INVALID_REFERENCE' }));
  });
});
