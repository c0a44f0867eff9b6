/** Input validation shared by every engine: the shape must fit the manifest and the mode. */
import { InputError } from '../errors/ensemble-error.js';
import type { EnsembleArchitecture } from '../manifest/parse-manifest.js';
import { formatShape, sizeOf, type Tensor } from '../tensor/tensor.js';
import type { InputMode } from './engine.js';

/** Returns the batch size B, or throws an `InputError` naming the mismatch. */
export function checkInput(architecture: EnsembleArchitecture, input: Tensor, mode: InputMode): number {
  const { members, input: spec } = architecture.manifest;
  const leading = mode === 'per-member' ? [members, '*'] : ['*'];
  const expected = formatShape([...leading, ...spec.shape]);
  const lead = leading.length;
  const shapeFits =
    input.shape.length === lead + spec.shape.length &&
    (mode === 'shared' || input.shape[0] === members) &&
    spec.shape.every((dim, i) => input.shape[lead + i] === dim);
  const batch = input.shape[lead - 1] ?? 0;
  if (!shapeFits || !Number.isInteger(batch) || batch < 1) {
    const hint = mode === 'per-member' ? ' (per-member mode: one minibatch per member)' : '';
    throw new InputError(`input shape ${formatShape(input.shape)} does not match the manifest's ${expected}${hint}`);
  }
  if (input.data.length !== sizeOf(input.shape)) {
    throw new InputError(`input of shape ${formatShape(input.shape)} needs ${sizeOf(input.shape)} values, got ${input.data.length}`);
  }
  return batch;
}
