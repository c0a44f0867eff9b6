/**
 * Manifest names from ONNX names. Layers with parameters are named after
 * their weight (`layer1.conv1.weight` -> `layer1.conv1`), else after their
 * node (`/layer1/conv1/Conv` -> `layer1.conv1`), else `node<i>`; other values
 * after the ONNX value they stand for (`onnx::MatMul_375` ->
 * `onnx__MatMul_375`). Every name matches the manifest's
 * `^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$` and is unique among layer
 * names and parameter names together.
 */
import { INPUT_VALUE } from '../manifest/manifest-schema.js';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$/;

/** `a/b.c::d` -> `a.b.c__d`: path separators become dots, other characters underscores. */
export function sanitizeName(raw: string): string | undefined {
  const segments = raw
    .replaceAll('::', '__')
    .split(/[/.]+/)
    .map((segment) => segment.replace(/[^A-Za-z0-9_]/g, '_'))
    .filter((segment) => segment !== '');
  if (segments.length === 0) return undefined;
  const joined = segments.join('.');
  return /^[A-Za-z_]/.test(joined) ? joined : `_${joined}`;
}

/** The module path of a weight named like PyTorch's `state_dict` (`features.0.weight` -> `features.0`). */
export function moduleOfWeight(weight: string): string | undefined {
  const match = /^([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)\.[A-Za-z0-9_]+$/.exec(weight);
  return match?.[1];
}

/** The module path in a node name the TorchScript exporter writes (`/layer1/conv1/Conv` -> `layer1.conv1`). */
export function moduleOfNode(node: string): string | undefined {
  if (!node.includes('/')) return sanitizeName(node);
  const segments = node.split('/').filter((segment) => segment !== '');
  return sanitizeName(segments.slice(0, -1).join('/'));
}

/** Names handed out so far: layer names (values) and parameter names share one namespace. */
export class NameRegistry {
  private readonly used = new Set<string>([INPUT_VALUE]);

  /**
   * The first of the candidates (or, failing them, `fallback`) made unique
   * with `_1`, `_2`, ..., such that it and `<name>.<suffix>` for each suffix
   * are all free; reserves them.
   */
  take(candidates: readonly (string | undefined)[], fallback: string, suffixes: readonly string[] = []): string {
    const base = candidates.find((candidate): candidate is string => candidate !== undefined && NAME.test(candidate)) ?? fallback;
    for (let i = 0; ; i++) {
      const name = i === 0 ? base : `${base}_${i}`;
      const names = [name, ...suffixes.map((suffix) => `${name}.${suffix}`)];
      if (names.every((n) => !this.used.has(n))) {
        for (const n of names) this.used.add(n);
        return name;
      }
    }
  }
}
