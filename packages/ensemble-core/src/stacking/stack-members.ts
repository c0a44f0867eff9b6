/**
 * `stackMembers`: PyTorch's `torch.func.stack_module_state` for files. N
 * per-member state dicts become one, every tensor gaining a leading `[N]`
 * axis (`fc1.weight [out, in]` → `[N, out, in]`). Stacking concatenates raw
 * bytes, so dtypes are kept and `unstackMembers` gives the members back bit
 * for bit.
 */
import { MembersMismatchError, ParametersError, type ValidationIssue } from '../errors/ensemble-error.js';
import { checkParameters, sameShape } from '../manifest/check-parameters.js';
import type { EnsembleArchitecture } from '../manifest/parse-manifest.js';
import type { SafetensorsTensor } from '../safetensors/read-safetensors.js';
import type { TensorToWrite } from '../safetensors/write-safetensors.js';
import { formatShape } from '../tensor/tensor.js';

/** One member's tensors by name, e.g. `readSafetensors(bytes).tensors`. */
export type MemberTensors = ReadonlyMap<string, SafetensorsTensor>;

/**
 * @example
 * const members = files.map((bytes) => readSafetensors(bytes).tensors);
 * const stacked = writeSafetensors(stackMembers(architecture, members));
 */
export function stackMembers(architecture: EnsembleArchitecture, members: readonly MemberTensors[]): TensorToWrite[] {
  const expected = architecture.manifest.members;
  if (members.length !== expected) {
    throw new MembersMismatchError([
      { path: 'members', message: `the manifest declares ${expected} members but ${members.length} were given` },
    ]);
  }
  const issues: ValidationIssue[] = [];
  members.forEach((tensors, m) => {
    for (const issue of checkParameters(architecture, tensors, false)) issues.push({ ...issue, path: `member ${m}: ${issue.path}` });
  });
  if (issues.length > 0) throw new ParametersError('ensemble members do not match the manifest', issues);

  const first = members[0] as MemberTensors;
  for (const [m, tensors] of members.entries()) {
    const names = new Set([...first.keys(), ...tensors.keys()]);
    for (const name of names) {
      const reference = first.get(name);
      const tensor = tensors.get(name);
      if (!reference || !tensor) {
        issues.push({
          path: `member ${m}: ${name}`,
          message: `${tensor ? 'present' : 'missing'} here but ${reference ? 'present' : 'missing'} in member 0`,
        });
      } else if (tensor.dtype !== reference.dtype) {
        issues.push({ path: `member ${m}: ${name}`, message: `has dtype ${tensor.dtype} but member 0 has ${reference.dtype}` });
      } else if (!sameShape(tensor.shape, reference.shape)) {
        issues.push({
          path: `member ${m}: ${name}`,
          message: `has shape ${formatShape(tensor.shape)} but member 0 has ${formatShape(reference.shape)}`,
        });
      }
    }
  }
  if (issues.length > 0) throw new MembersMismatchError(issues);

  return [...first.values()].map((reference) => {
    const bytes = new Uint8Array(reference.bytes.byteLength * members.length);
    for (const [m, tensors] of members.entries()) {
      bytes.set((tensors.get(reference.name) as SafetensorsTensor).bytes, m * reference.bytes.byteLength);
    }
    return { name: reference.name, dtype: reference.dtype, shape: [members.length, ...reference.shape], bytes };
  });
}

/**
 * The inverse of `stackMembers`: one list of tensors per member, each a view
 * of the stacked bytes (no copy).
 */
export function unstackMembers(architecture: EnsembleArchitecture, stacked: ReadonlyMap<string, SafetensorsTensor>): TensorToWrite[][] {
  const n = architecture.manifest.members;
  const issues = checkParameters(architecture, stacked, true);
  for (const [name, tensor] of stacked) {
    if (architecture.ignorableBuffers.has(name) && tensor.shape[0] !== n) {
      issues.push({ path: name, message: `has shape ${formatShape(tensor.shape)}; a stacked buffer needs a leading [${n}] axis` });
    }
  }
  if (issues.length > 0) throw new ParametersError('stacked parameters do not match the manifest', issues);
  return Array.from({ length: n }, (_, m) =>
    [...stacked.values()].map((tensor) => {
      const size = tensor.bytes.byteLength / n;
      return {
        name: tensor.name,
        dtype: tensor.dtype,
        shape: tensor.shape.slice(1),
        bytes: tensor.bytes.subarray(m * size, (m + 1) * size),
      };
    }),
  );
}
