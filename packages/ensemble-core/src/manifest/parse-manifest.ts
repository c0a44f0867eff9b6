/**
 * Parses a manifest and checks it against itself: every layer's inputs exist
 * and fit its shape rule (a chain's layers read the previous layer's output),
 * names are unique, the output is one row per sample. The result, an
 * `EnsembleArchitecture`, carries the inferred shapes and the parameters each
 * layer expects. Every problem is reported, not just the first.
 */
import type { z } from 'zod';
import { ManifestError, type ValidationIssue } from '../errors/ensemble-error.js';
import { opDefinition } from '../ops/index.js';
import { batchFirst, formatSymbolicShape, isBatchDim } from '../tensor/symbolic-shape.js';
import { formatShape } from '../tensor/tensor.js';
import type { ValueInfo } from '../tensor/value-info.js';
import { INPUT_VALUE, type Layer, layerSchema, type Manifest, manifestSchema } from './manifest-schema.js';

export interface ArchitectureLayer {
  readonly index: number;
  readonly layer: Layer;
  /** The id of the value it makes: its `name`, or `#<index>` for an unnamed layer. */
  readonly id: string;
  /** The ids of the values it reads (`input` is the manifest's input). */
  readonly inputs: readonly string[];
  /** The value it makes: per-member shape with a symbolic batch, and dtype. */
  readonly value: ValueInfo;
  /**
   * Layer ops (PyTorch modules on batch-first rows): per-sample input and
   * output shapes, the rows axis excluded. Empty for tensor ops.
   */
  readonly input: readonly number[];
  readonly output: readonly number[];
  /** Layer ops: per-member parameter shapes by suffix (`weight`, `bias`, ...). Tensor ops: by full name. */
  readonly parameters: Readonly<Record<string, readonly number[]>>;
}

export interface EnsembleArchitecture {
  readonly manifest: Manifest;
  /** In manifest order, which is an order of evaluation: a layer reads only values defined before it. */
  readonly layers: readonly ArchitectureLayer[];
  /** The id of the output value. */
  readonly output: string;
  /** Per-sample output shape of one member. */
  readonly outputShape: readonly number[];
  /** Full parameter name (`fc1.weight`) to per-member shape, in layer order. */
  readonly parameterShapes: ReadonlyMap<string, readonly number[]>;
  /** Buffers a PyTorch `state_dict` may carry that inference ignores (`bn1.num_batches_tracked`). */
  readonly ignorableBuffers: ReadonlySet<string>;
  /** True when the last compute layer is a softmax: member outputs are already probabilities. */
  readonly outputsAreProbabilities: boolean;
  /** Multiply-adds for one sample through one member. */
  readonly multiplyAddsPerSample: number;
  /** For token-id (`int64`) inputs: the largest id the graph accepts (the smallest table the ids index). */
  readonly maxInputId: number | undefined;
}

/** Largest number of parameters per member a manifest may imply (4 GiB of float32). */
export const MAX_PARAMETERS_PER_ENSEMBLE = 2 ** 30;

/**
 * @example
 * const architecture = parseManifest(JSON.parse(readFileSync('model.json', 'utf8')));
 * architecture.outputShape; // [10]
 */
export function parseManifest(document: unknown): EnsembleArchitecture {
  const parsed = manifestSchema.safeParse(document);
  if (parsed.success) return resolveArchitecture(parsed.data);
  // Report schema problems together with the shape problems of the layers that did parse.
  const issues = parsed.error.issues.map(zodIssue);
  const input = manifestSchema.shape.input.safeParse((document as { input?: unknown } | null)?.input);
  const layers = (document as { layers?: unknown } | null)?.layers;
  if (input.success && Array.isArray(layers)) {
    const parsedLayers = layers.map((layer) => layerSchema.safeParse(layer));
    const valid: Layer[] = [];
    for (const layer of parsedLayers) {
      if (!layer.success) break; // shapes past a layer that does not parse are unknown
      valid.push(layer.data);
    }
    try {
      resolveArchitecture({ name: 'draft', members: 1, input: input.data, layers: valid, output: undefined });
    } catch (error) {
      if (error instanceof ManifestError) issues.push(...error.issues.filter((issue) => issue.path !== 'layers'));
    }
  }
  throw new ManifestError(issues.sort((a, b) => a.path.localeCompare(b.path, 'en', { numeric: true })));
}

function resolveArchitecture(manifest: Manifest): EnsembleArchitecture {
  const issues: ValidationIssue[] = [];
  const layers: ArchitectureLayer[] = [];
  const parameterShapes = new Map<string, readonly number[]>();
  const ignorableBuffers = new Set<string>();
  const values = new Map<string, { value: ValueInfo; index: number } | undefined>([
    [INPUT_VALUE, { value: { shape: batchFirst(manifest.input.shape), dtype: manifest.input.dtype }, index: -1 }],
  ]);
  let previous = INPUT_VALUE;
  let multiplyAdds = 0;
  let maxInputId: number | undefined;

  manifest.layers.forEach((layer, index) => {
    const path = `layers[${index}]`;
    const definition = opDefinition(layer.op);
    const id = layer.name ?? `#${index}`;
    const duplicate = layer.name !== undefined && values.has(layer.name);
    if (layer.name !== undefined) {
      const earlier = values.get(layer.name);
      if (layer.name === INPUT_VALUE) issues.push({ path: `${path}.name`, message: `"${INPUT_VALUE}" names the manifest's input` });
      else if (values.has(layer.name)) {
        issues.push({ path: `${path}.name`, message: `"${layer.name}" is already the name of layers[${earlier?.index ?? '?'}]` });
      }
    }
    const arity = definition.kind === 'tensor' ? definition.arity : ([1, 1] as const);
    const inputs = layer.inputs ?? (arity[0] === 0 ? [] : [previous]);
    previous = id;
    const known: ValueInfo[] = [];
    for (const [i, input] of inputs.entries()) {
      if (!values.has(input)) {
        issues.push({ path: `${path}.inputs[${i}]`, message: `"${input}" is not the input or the name of an earlier layer` });
      } else {
        const entry = values.get(input);
        if (entry) known.push(entry.value);
      }
    }
    if (inputs.length < arity[0] || inputs.length > arity[1]) {
      const count = arity[0] === arity[1] ? `${arity[0]}` : `${arity[0]} to ${arity[1]}`;
      issues.push({
        path: `${path}.inputs`,
        message: `${layer.op} takes ${count} input${arity[1] === 1 ? '' : 's'}, got ${inputs.length}`,
      });
    }
    values.set(id, undefined); // unknown until its shape rule succeeds
    if (known.length !== inputs.length || inputs.length < arity[0] || inputs.length > arity[1]) return;

    if (definition.kind === 'tensor') {
      const result = definition.inferValue(layer, known);
      for (const problem of result.problems ?? []) issues.push({ path, message: `${layer.op} ${problem}` });
      const parameters = definition.parameters?.(layer) ?? {};
      for (const [name, shape] of Object.entries(parameters)) addParameter(name, shape, path, duplicate);
      if (!result.value) return;
      values.set(id, { value: result.value, index });
      layers.push({ index, layer, id, inputs, value: result.value, input: [], output: [], parameters });
      multiplyAdds += definition.multiplyAdds?.(layer, known, result.value) ?? 0;
      if ((layer.op as string) === 'gather' && inputs[1] === INPUT_VALUE) {
        const table = gatheredAxisSize(layer, known[0] as ValueInfo);
        if (table !== undefined) maxInputId = Math.min(maxInputId ?? table - 1, table - 1);
      }
      return;
    }

    const rows = known[0] as ValueInfo;
    const [lead, ...rest] = rows.shape;
    if (rows.dtype !== 'float32' || lead === undefined || !isBatchDim(lead) || rest.some(isBatchDim)) {
      issues.push({
        path,
        message: `${layer.op} acts on batch-first float32 rows, [batch, ...], but receives ${rows.dtype} ${formatSymbolicShape(rows.shape)}`,
      });
      return;
    }
    const input = rest as number[];
    const result = definition.inferShape(layer, input);
    for (const problem of result.problems ?? []) issues.push({ path, message: `${layer.op} ${problem}` });
    const parameters = definition.parameters?.(layer, input) ?? {};
    if (layer.name !== undefined) {
      for (const [suffix, parameterShape] of Object.entries(parameters))
        addParameter(`${layer.name}.${suffix}`, parameterShape, path, duplicate);
      for (const buffer of definition.ignorableBuffers ?? []) ignorableBuffers.add(`${layer.name}.${buffer}`);
    }
    if (!result.shape) return;
    const value: ValueInfo = { shape: [lead, ...result.shape], dtype: 'float32' };
    values.set(id, { value, index });
    layers.push({ index, layer, id, inputs, value, input, output: result.shape, parameters });
    multiplyAdds += lead.batch * (definition.multiplyAdds?.(layer, input, result.shape) ?? 0);
  });

  function addParameter(name: string, shape: readonly number[], path: string, duplicate: boolean): void {
    // A layer whose name repeats another's is reported once, for its name.
    if (parameterShapes.has(name) && !duplicate)
      issues.push({ path, message: `declares parameter ${name}, which another layer declares too` });
    parameterShapes.set(name, shape);
  }

  let totalParameters = 0;
  for (const parameterShape of parameterShapes.values()) totalParameters += parameterShape.reduce((a, b) => a * b, 1);
  if (totalParameters * manifest.members > MAX_PARAMETERS_PER_ENSEMBLE) {
    issues.push({
      path: 'layers',
      message: `the ensemble would hold ${totalParameters * manifest.members} parameters (${manifest.members} x ${totalParameters}); the limit is ${MAX_PARAMETERS_PER_ENSEMBLE}`,
    });
  }
  const output = manifest.output ?? previous;
  const outputValue = values.get(output)?.value;
  if (manifest.output !== undefined && !values.has(manifest.output)) {
    issues.push({ path: 'output', message: `"${manifest.output}" is not the name of a layer` });
  } else if (outputValue) {
    const [lead, ...rest] = outputValue.shape;
    if (outputValue.dtype !== 'float32' || lead === undefined || !isBatchDim(lead) || lead.batch !== 1 || rest.some(isBatchDim)) {
      issues.push({
        path: manifest.output === undefined ? 'layers' : 'output',
        message: `the output must be float32 [batch, ...], one row per sample; it is ${outputValue.dtype} ${formatSymbolicShape(outputValue.shape)}`,
      });
    }
  }
  if (issues.length > 0 || !outputValue) throw new ManifestError(issues);

  return {
    manifest,
    layers,
    output,
    outputShape: outputValue.shape.slice(1) as number[],
    parameterShapes,
    ignorableBuffers,
    outputsAreProbabilities: producedBySoftmax(layers, output),
    multiplyAddsPerSample: multiplyAdds,
    maxInputId,
  };
}

/** Whether a value comes out of a softmax over its last axis, through layers that keep values as they are. */
function producedBySoftmax(layers: readonly ArchitectureLayer[], id: string): boolean {
  const byId = new Map(layers.map((layer) => [layer.id, layer]));
  for (let layer = byId.get(id); layer; layer = byId.get(layer.inputs[0] ?? '')) {
    if (layer.layer.op === 'softmax') return ((layer.layer as { dim?: number }).dim ?? -1) === -1;
    if (layer.layer.op !== 'dropout' && (layer.layer.op as string) !== 'identity') return false;
  }
  return false;
}

function gatheredAxisSize(layer: Layer, data: ValueInfo): number | undefined {
  const axis = (layer as { axis?: number }).axis ?? 0;
  const size = data.shape[axis < 0 ? axis + data.shape.length : axis];
  return typeof size === 'number' ? size : undefined;
}

function zodIssue(issue: z.core.$ZodIssue): ValidationIssue {
  const path = issue.path.map((key, i) => (typeof key === 'number' ? `[${key}]` : i === 0 ? String(key) : `.${String(key)}`)).join('');
  return { path, message: issue.message };
}

/** `[*, 1, 28, 28]`: a per-sample shape with its batch axis, for messages. */
export function formatBatchedShape(sample: readonly number[], leading: readonly (number | string)[] = ['*']): string {
  return formatShape([...leading, ...sample]);
}
