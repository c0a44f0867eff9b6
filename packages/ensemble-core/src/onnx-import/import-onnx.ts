/**
 * The entry point: N members' ONNX files (exported from PyTorch, one
 * architecture) in, ONE graph manifest plus the members' parameters stacked
 * as float32 `[N, ...]` out, ready for `parseManifest` and the engines.
 *
 * Steps: decode each file (`decode-onnx.ts`), check that the members share
 * one graph (`same-graph.ts`), read the input (its first dim the symbolic
 * batch), then walk the graph folding what is static and mapping the rest to
 * manifest layers (`walk-graph.ts`).
 */
import type { ManifestInput } from '../manifest/manifest-schema.js';
import { BATCH } from '../tensor/symbolic-shape.js';
import type { ValueDtype } from '../tensor/value-info.js';
import { decodeOnnxModel, formatValueInfo, type OnnxModel } from './decode-onnx.js';
import { ManifestBuilder } from './manifest-builder.js';
import { OnnxImportError } from './onnx-import-error.js';
import { checkSameGraph } from './same-graph.js';
import { DataType } from './static-tensor.js';
import { walkGraph } from './walk-graph.js';

export interface OnnxMemberFile {
  /** The file's name, for messages (`member0.onnx`). */
  readonly name: string;
  readonly bytes: Uint8Array;
}

export interface ImportOnnxOptions {
  /** The ensemble's name in the manifest. */
  readonly name: string;
}

export interface ImportedOnnxEnsemble {
  readonly manifest: ManifestInput;
  /** Every parameter the manifest declares, float32 `[N, ...]` row-major, by name. */
  readonly parameters: Map<string, Float32Array>;
}

/**
 * Imports N members' ONNX files as one ensemble.
 *
 * @throws OnnxImportError one line naming the file (and node) at the first
 *   problem: an unreadable file, external data, members that differ, an
 *   input without a symbolic batch axis, an unsupported op or attribute.
 * @example
 * const { manifest, parameters } = importOnnxMembers(
 *   [0, 1, 2].map((m) => ({ name: `member${m}.onnx`, bytes: readFileSync(`member${m}.onnx`) })),
 *   { name: 'resnet-ensemble' },
 * );
 * const architecture = parseManifest(manifest);
 */
export function importOnnxMembers(files: readonly OnnxMemberFile[], options: ImportOnnxOptions): ImportedOnnxEnsemble {
  if (files.length === 0) throw new OnnxImportError('', 'no ONNX member files were given');
  const models = files.map(decodeOnnxModel);
  checkSameGraph(models);
  const first = models[0] as OnnxModel;
  const input = graphInput(first);
  const builder = new ManifestBuilder(models.length);
  const output = walkGraph(models, builder, { shape: [BATCH, ...input.shape], dtype: input.dtype });
  const manifest: ManifestInput = {
    name: options.name,
    members: models.length,
    input,
    layers: builder.layers as unknown as ManifestInput['layers'],
    output: output.id,
  };
  return { manifest, parameters: builder.parameters };
}

/** The manifest's input: the per-sample shape after the symbolic batch axis, float32 or int64 (token ids). */
function graphInput(model: OnnxModel): { shape: number[]; dtype: ValueDtype } {
  const { file, input } = model;
  const refuse = (why: string) => new OnnxImportError(file, `${file}: its input ${input.name} (${formatValueInfo(input)}) ${why}`);
  const dtype = input.elemType === DataType.FLOAT ? 'float32' : input.elemType === DataType.INT64 ? 'int64' : undefined;
  if (!dtype) throw refuse('must be float32, or int64 token ids');
  const dims = input.dims;
  if (!dims || dims.length < 2) throw refuse('must be [batch, ...] with at least one axis after the batch');
  const [batch, ...rest] = dims;
  if (typeof batch === 'number') {
    throw refuse(
      `has a fixed batch size; export with a symbolic batch axis first (dynamic_axes={"${input.name}": {0: "batch"}}, or dynamic_shapes with torch.export.Dim("batch") for the dynamo exporter)`,
    );
  }
  const symbolic = rest.findIndex((dim) => typeof dim !== 'number' || dim <= 0);
  if (symbolic >= 0)
    throw refuse(`may only have its first axis symbolic (the batch), but axis ${symbolic + 1} is ${rest[symbolic] ?? 'unknown'}`);
  return { shape: rest as number[], dtype };
}
