/**
 * The identity of an ensemble version: the SHA-256 of its canonical manifest
 * JSON, a 0 byte (which JSON text never contains), then its stacked weights
 * as a canonical safetensors file (tensors in name order, no metadata).
 */
import { createHash } from 'node:crypto';

/**
 * @example
 * versionDigest(canonicalJson(architecture.manifest), stackedWeights); // '3f5a…' (64 hex digits)
 */
export function versionDigest(canonicalManifest: string, weights: Uint8Array): string {
  return createHash('sha256').update(canonicalManifest, 'utf8').update(Uint8Array.of(0)).update(weights).digest('hex');
}
