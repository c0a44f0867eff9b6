/**
 * A model's metadata as the Open Inference Protocol shows it: its one input
 * and every output it can produce, with datatypes and shapes (`-1` for the
 * batch), for the version asked for.
 */
import { type EnsembleArchitecture, type ResultTensorName, UNCERTAINTY_TENSORS } from '@ensembles/core';
import type { EnsembleVersionInfo } from '@ensembles/registry';
import type { z } from 'zod';
import type { metadataTensorSchema, modelMetadataSchema } from './inference-schemas.js';

/** What the metadata calls the platform, as `<project>_<format>`: stacked safetensors weights and a manifest. */
export const PLATFORM = 'deep-ensembles_safetensors';

/** The name of the one input: a model takes a single tensor. */
export const INPUT_NAME = 'input';

type MetadataTensor = z.infer<typeof metadataTensorSchema>;

/**
 * @example
 * modelMetadata(await registry.resolve(tenant, 'tiny'), versions).outputs.map((o) => o.name);
 * // → ['members', 'combined', 'predictiveEntropy', 'expectedEntropy', 'mutualInformation', 'disagreement']
 */
export function modelMetadata(ensemble: EnsembleVersionInfo, versions: readonly string[]): z.infer<typeof modelMetadataSchema> {
  const { members, input } = ensemble.architecture.manifest;
  return {
    name: ensemble.name,
    versions: [...versions],
    platform: PLATFORM,
    // The shared form, [B, ...in]; `parameters.mode: per-member` takes [N, B, ...in].
    inputs: [{ name: INPUT_NAME, datatype: input.dtype === 'int64' ? 'INT64' : 'FP32', shape: [-1, ...input.shape] }],
    outputs: outputTensors(ensemble.architecture, members),
  };
}

function outputTensors(architecture: EnsembleArchitecture, members: number): MetadataTensor[] {
  const out = architecture.outputShape;
  const tensor = (name: ResultTensorName, shape: readonly number[]): MetadataTensor => ({ name, datatype: 'FP32', shape: [...shape] });
  // `combined` is listed as the float combines give it; `vote` answers INT64 class indices, [B, ...out without its last axis].
  const outputs = [tensor('members', [members, -1, ...out]), tensor('combined', [-1, ...out])];
  // The uncertainty measures work on a class axis: the last of each sample's output.
  if (out.length > 0 && (out.at(-1) ?? 0) >= 1) {
    for (const name of UNCERTAINTY_TENSORS) outputs.push(tensor(name, [-1, ...out.slice(0, -1)]));
  }
  return outputs;
}
