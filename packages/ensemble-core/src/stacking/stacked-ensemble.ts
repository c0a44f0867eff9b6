/**
 * A `StackedEnsemble` is what engines compile: the architecture plus every
 * parameter as float32 with its leading `[N]` member axis.
 */
import { ParametersError } from '../errors/ensemble-error.js';
import { checkParameters, type TensorSignature } from '../manifest/check-parameters.js';
import type { EnsembleArchitecture } from '../manifest/parse-manifest.js';
import type { SafetensorsTensor } from '../safetensors/read-safetensors.js';
import { toFloat32 } from '../safetensors/to-float32.js';
import { float32Tensor, writeSafetensors } from '../safetensors/write-safetensors.js';

export interface StackedEnsemble {
  readonly architecture: EnsembleArchitecture;
  /** `fc1.weight` → float32 `[N, out, in]`, row-major. */
  readonly parameters: ReadonlyMap<string, Float32Array>;
}

/**
 * Throws a `ParametersError` listing every way stacked tensors (each `[N, ...]`)
 * do not match the manifest; checks without converting anything.
 */
export function assertStackedParameters(architecture: EnsembleArchitecture, stacked: ReadonlyMap<string, TensorSignature>): void {
  const issues = checkParameters(architecture, stacked, true);
  if (issues.length > 0) throw new ParametersError('stacked parameters do not match the manifest', issues);
}

/**
 * Checks stacked tensors against the manifest and converts them to float32.
 *
 * @example
 * const ensemble = loadStackedEnsemble(architecture, readSafetensors(bytes).tensors);
 */
export function loadStackedEnsemble(architecture: EnsembleArchitecture, stacked: ReadonlyMap<string, SafetensorsTensor>): StackedEnsemble {
  assertStackedParameters(architecture, stacked);
  const parameters = new Map<string, Float32Array>();
  for (const name of architecture.parameterShapes.keys()) parameters.set(name, toFloat32(stacked.get(name) as SafetensorsTensor));
  return { architecture, parameters };
}

/** Member `m` alone, as a one-member ensemble (views of the stacked data, no copy). */
export function memberOf(ensemble: StackedEnsemble, m: number): StackedEnsemble {
  const { architecture } = ensemble;
  const n = architecture.manifest.members;
  const parameters = new Map<string, Float32Array>();
  for (const [name, data] of ensemble.parameters) {
    const size = data.length / n;
    parameters.set(name, data.subarray(m * size, (m + 1) * size));
  }
  return { architecture: { ...architecture, manifest: { ...architecture.manifest, members: 1 } }, parameters };
}

/**
 * A stacked ensemble as a stacked safetensors file (float32, every parameter
 * `[N, ...]`), the file `ensemble stack` writes and the API accepts.
 *
 * @example
 * writeFileSync('stacked.safetensors', writeStackedEnsemble(ensemble));
 */
export function writeStackedEnsemble(ensemble: StackedEnsemble): Uint8Array {
  const { architecture, parameters } = ensemble;
  const n = architecture.manifest.members;
  return writeSafetensors(
    [...parameters].map(([name, data]) => float32Tensor(name, [n, ...(architecture.parameterShapes.get(name) ?? [])], data)),
  );
}
