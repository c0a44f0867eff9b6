/**
 * Parses a manifest and checks it against itself: every layer's input matches
 * the previous layer's output, layer names are unique. The result, an
 * `EnsembleArchitecture`, carries the inferred shapes and the parameters each
 * layer expects. Every problem is reported, not just the first.
 */
import type { z } from 'zod';
import { ManifestError, type ValidationIssue } from '../errors/ensemble-error.js';
import { opDefinition } from '../ops/index.js';
import { formatShape } from '../tensor/tensor.js';
import { type Layer, layerSchema, type Manifest, manifestSchema } from './manifest-schema.js';

export interface ArchitectureLayer {
  readonly index: number;
  readonly layer: Layer;
  /** Per-sample input and output shapes (batch axis excluded). */
  readonly input: readonly number[];
  readonly output: readonly number[];
  /** Per-member parameter shapes by suffix (`weight`, `bias`, ...). */
  readonly parameters: Readonly<Record<string, readonly number[]>>;
}

export interface EnsembleArchitecture {
  readonly manifest: Manifest;
  readonly layers: readonly ArchitectureLayer[];
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
      resolveArchitecture({ name: 'draft', members: 1, input: input.data, layers: valid });
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
  const names = new Map<string, number>();
  let shape: readonly number[] | undefined = manifest.input.shape;
  let multiplyAdds = 0;

  manifest.layers.forEach((layer, index) => {
    const path = `layers[${index}]`;
    const definition = opDefinition(layer.op);
    if ('name' in layer) {
      const previous = names.get(layer.name);
      if (previous !== undefined)
        issues.push({ path: `${path}.name`, message: `"${layer.name}" is already the name of layers[${previous}]` });
      names.set(layer.name, index);
    }
    if (shape === undefined) return; // an earlier layer's output is unknown: nothing to check against
    const input = shape;
    const result = definition.inferShape(layer, input);
    for (const problem of result.problems ?? []) issues.push({ path, message: `${layer.op} ${problem}` });
    shape = result.shape;
    const parameters = definition.parameters?.(layer, input) ?? {};
    if ('name' in layer) {
      for (const [suffix, parameterShape] of Object.entries(parameters)) parameterShapes.set(`${layer.name}.${suffix}`, parameterShape);
      for (const buffer of definition.ignorableBuffers ?? []) ignorableBuffers.add(`${layer.name}.${buffer}`);
    }
    if (shape) {
      layers.push({ index, layer, input, output: shape, parameters });
      multiplyAdds += definition.multiplyAdds?.(layer, input, shape) ?? 0;
    }
  });

  let totalParameters = 0;
  for (const parameterShape of parameterShapes.values()) totalParameters += parameterShape.reduce((a, b) => a * b, 1);
  if (totalParameters * manifest.members > MAX_PARAMETERS_PER_ENSEMBLE) {
    issues.push({
      path: 'layers',
      message: `the ensemble would hold ${totalParameters * manifest.members} parameters (${manifest.members} x ${totalParameters}); the limit is ${MAX_PARAMETERS_PER_ENSEMBLE}`,
    });
  }
  if (issues.length > 0 || shape === undefined) throw new ManifestError(issues);

  const lastCompute = [...manifest.layers].reverse().find((layer) => layer.op !== 'dropout');
  return {
    manifest,
    layers,
    outputShape: shape,
    parameterShapes,
    ignorableBuffers,
    outputsAreProbabilities: lastCompute?.op === 'softmax',
    multiplyAddsPerSample: multiplyAdds,
  };
}

function zodIssue(issue: z.core.$ZodIssue): ValidationIssue {
  const path = issue.path.map((key, i) => (typeof key === 'number' ? `[${key}]` : i === 0 ? String(key) : `.${String(key)}`)).join('');
  return { path, message: issue.message };
}

/** `[*, 1, 28, 28]`: a per-sample shape with its batch axis, for messages. */
export function formatBatchedShape(sample: readonly number[], leading: readonly (number | string)[] = ['*']): string {
  return formatShape([...leading, ...sample]);
}
