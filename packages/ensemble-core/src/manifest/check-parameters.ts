/**
 * Checks a set of tensors (one member's `state_dict`, or the stacked
 * parameters of all members) against what the manifest expects: every
 * parameter present with the right shape and a float dtype, nothing unknown
 * except ignorable buffers. Returns every problem found.
 */
import type { ValidationIssue } from '../errors/ensemble-error.js';
import { isFloatDtype } from '../safetensors/dtypes.js';
import { formatShape } from '../tensor/tensor.js';
import type { EnsembleArchitecture } from './parse-manifest.js';

export interface TensorSignature {
  readonly dtype: string;
  readonly shape: readonly number[];
}

/**
 * @param stacked when true, every parameter carries a leading `[members]` axis.
 */
export function checkParameters(
  architecture: EnsembleArchitecture,
  tensors: ReadonlyMap<string, TensorSignature>,
  stacked: boolean,
): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const lead = stacked ? [architecture.manifest.members] : [];
  for (const [name, perMember] of architecture.parameterShapes) {
    const tensor = tensors.get(name);
    const expected = [...lead, ...perMember];
    if (!tensor) {
      issues.push({ path: name, message: `missing (expected ${formatShape(expected)})` });
      continue;
    }
    if (!sameShape(tensor.shape, expected)) {
      issues.push({ path: name, message: `has shape ${formatShape(tensor.shape)}, expected ${formatShape(expected)}` });
    }
    if (!isFloatDtype(tensor.dtype)) {
      issues.push({ path: name, message: `has dtype ${tensor.dtype}; parameters must be F32, F16, BF16 or F64` });
    }
  }
  for (const name of tensors.keys()) {
    if (!architecture.parameterShapes.has(name) && !architecture.ignorableBuffers.has(name)) {
      issues.push({ path: name, message: 'is not a parameter of any layer in the manifest' });
    }
  }
  return issues;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((dim, i) => dim === b[i]);
}
