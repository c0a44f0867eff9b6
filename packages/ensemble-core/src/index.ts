/**
 * @ensembles/core: stack N same-architecture models (PyTorch `state_dict`
 * layout) and run all N in one vectorized forward pass.
 */

export type { ClassIndices, CombinedOutput, CombineMode, CombineOptions, EnsembleUncertainty } from './combine/index.js';
export { combineMembers, combineModes, ensembleUncertainty } from './combine/index.js';
export { checkInput } from './engines/check-input.js';
export { createEngine, DEFAULT_ENGINE, type EngineName, engineNames, isEngineName } from './engines/create-engine.js';
export type { CompiledEnsemble, EngineOptions, EnsembleEngine, InputMode, RunOptions, Strategy } from './engines/engine.js';
export { inputModes, strategies } from './engines/engine.js';
export { OnnxEngine } from './engines/onnx/onnx-engine.js';
export { measureSgemmGflops, type SgemmMeasurement, type SgemmOptions } from './engines/onnx/sgemm-roofline.js';
export { referenceForward } from './engines/reference/reference-forward.js';
export { type KernelComparison, probeTfjsKernels } from './engines/tfjs/kernel-probe.js';
export { availableTfjsBackends, type TfjsBackend, tfjsBackends } from './engines/tfjs/tfjs-backends.js';
export { TfjsEngine } from './engines/tfjs/tfjs-engine.js';
export * from './errors/ensemble-error.js';
export { randomArchitectureInput, randomInput, randomMembers, seededRandom, stackFloat32Members } from './examples/random-members.js';
export { EXAMPLE_BATCH, EXAMPLE_INPUT_SEED, EXAMPLE_WEIGHT_SEED, seedMlpManifest } from './examples/seed-mlp.js';
export { checkParameters } from './manifest/check-parameters.js';
export { type Layer, layerSchema, type Manifest, type ManifestInput, manifestSchema } from './manifest/manifest-schema.js';
export { type ArchitectureLayer, type EnsembleArchitecture, parseManifest } from './manifest/parse-manifest.js';
export { importOnnxMembers, isOnnxModel, OnnxImportError } from './onnx-import/index.js';
export { opNames } from './ops/index.js';
export * from './prediction/index.js';
export * from './safetensors/index.js';
export { type MemberTensors, stackMembers, unstackMembers } from './stacking/stack-members.js';
export {
  assertStackedParameters,
  loadStackedEnsemble,
  memberOf,
  type StackedEnsemble,
  writeStackedEnsemble,
} from './stacking/stacked-ensemble.js';
export { type Dim, formatSymbolicShape, type SymbolicShape } from './tensor/symbolic-shape.js';
export { formatShape, sizeOf, type Tensor, tensor } from './tensor/tensor.js';
export type { ValueDtype, ValueInfo } from './tensor/value-info.js';
