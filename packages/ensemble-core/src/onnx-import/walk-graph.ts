/**
 * The walk over the members' (identical) graphs, node by node in file order.
 * A node whose inputs are all static is folded, once per member (each member
 * has its own initializers and Constants); `Shape` and `Size` of a dynamic
 * value fold from its symbolic shape; any other node is dynamic and becomes
 * manifest layers (`map-layer-ops.ts`, `map-tensor-ops.ts`). Nodes nothing
 * on the way to the output reads are skipped. Problems are reported as one
 * line naming the file and the node.
 */
import { formatSymbolicShape, isBatchDim, type SymbolicShape } from '../tensor/symbolic-shape.js';
import type { ValueDtype } from '../tensor/value-info.js';
import type { OnnxModel, OnnxNode } from './decode-onnx.js';
import { foldableOps, foldNode, foldShapeOf } from './fold-node.js';
import { type DynamicValue, inputValue, type ManifestBuilder, type StaticValue, type Value } from './manifest-builder.js';
import { mapLayerNode } from './map-layer-ops.js';
import { mapTensorNode } from './map-tensor-ops.js';
import type { NodeContext } from './node-context.js';
import { NodeProblem, nodeError, OnnxImportError } from './onnx-import-error.js';
import { dataTypeName, type StaticTensor } from './static-tensor.js';
import { readTensor } from './tensor-data.js';

/** The graph's output as a manifest value, after writing every layer on its way into `builder`. */
export function walkGraph(
  models: readonly OnnxModel[],
  builder: ManifestBuilder,
  input: { shape: SymbolicShape; dtype: ValueDtype },
): DynamicValue {
  const first = models[0] as OnnxModel;
  const values = new Map<string, Value>([[first.input.name, inputValue(input.shape, input.dtype)]]);
  for (const [name, tensor] of first.initializers) {
    values.set(
      name,
      staticValue(name, true, tensor.dataType, tensor.dims, () =>
        models.map((model) => readTensor(model.initializers.get(name) ?? tensor)),
      ),
    );
  }
  const live = liveNodes(first);

  for (const node of first.nodes) {
    if (!live.has(node.index)) continue;
    try {
      const inputs = node.inputs.map((name) => (name === '' ? undefined : values.get(name)));
      const outputs = evaluate(models, node, inputs, builder, live.get(node.index) as ReadonlySet<number>);
      node.outputs.forEach((name, k) => {
        const value = outputs[k];
        if (name !== '' && value) values.set(name, value);
      });
    } catch (error) {
      if (error instanceof OnnxImportError) throw error;
      if (error instanceof NodeProblem) throw nodeError(first.file, node, error.message);
      throw nodeError(first.file, node, error instanceof Error ? error.message : String(error));
    }
  }

  const output = values.get(first.output.name);
  if (output?.kind !== 'dynamic') {
    throw new OnnxImportError(first.file, `${first.file}: the output ${first.output.name} does not depend on the input`);
  }
  const [lead, ...rest] = output.shape;
  if (output.dtype !== 'float32' || lead === undefined || !isBatchDim(lead) || lead.batch !== 1 || rest.some(isBatchDim)) {
    throw new OnnxImportError(
      first.file,
      `${first.file}: the output ${first.output.name} is ${output.dtype} ${formatSymbolicShape(output.shape)}; it must be float32 [batch, ...], one row per sample`,
    );
  }
  if (output.id === 'input') throw new OnnxImportError(first.file, `${first.file}: the output is the input itself`);
  return output;
}

function staticValue(
  name: string,
  initializer: boolean,
  dataType: number,
  shape: readonly number[],
  read: () => readonly StaticTensor[],
): StaticValue {
  let tensors: readonly StaticTensor[] | undefined;
  return {
    kind: 'static',
    name,
    initializer,
    dataType,
    shape,
    tensors: () => {
      tensors ??= read();
      return tensors;
    },
  };
}

/** The nodes the output depends on, each with the indices of its outputs that are read. */
function liveNodes(model: OnnxModel): Map<number, Set<number>> {
  const needed = new Set<string>([model.output.name]);
  const live = new Map<number, Set<number>>();
  for (let i = model.nodes.length - 1; i >= 0; i--) {
    const node = model.nodes[i] as OnnxNode;
    const used = new Set(node.outputs.flatMap((name, k) => (name !== '' && needed.has(name) ? [k] : [])));
    if (used.size === 0) continue;
    live.set(node.index, used);
    for (const name of node.inputs) if (name !== '') needed.add(name);
  }
  return live;
}

function evaluate(
  models: readonly OnnxModel[],
  node: OnnxNode,
  inputs: readonly (Value | undefined)[],
  builder: ManifestBuilder,
  usedOutputs: ReadonlySet<number>,
): (Value | undefined)[] {
  const first = models[0] as OnnxModel;
  const opset = first.opset;
  const dynamic = inputs.some((value) => value?.kind === 'dynamic');

  if (!dynamic && foldableOps.has(node.opType) && (node.domain === '' || node.domain === 'ai.onnx')) {
    return foldAcrossMembers(models, node, inputs as readonly (StaticValue | undefined)[]);
  }
  if (!dynamic) {
    const op = node.domain && node.domain !== 'ai.onnx' ? `${node.domain}.${node.opType}` : node.opType;
    throw new NodeProblem(`op ${op} is not supported`);
  }
  const x = inputs[0];
  if ((node.opType === 'Shape' || node.opType === 'Size') && x?.kind === 'dynamic' && !node.domain) {
    const tensor = foldShapeOf(node, x.shape);
    return [staticValue(node.outputs[0] as string, false, tensor.dataType, tensor.shape, () => models.map(() => tensor))];
  }
  for (const k of usedOutputs) {
    if (k > 0) throw new NodeProblem(`its output ${k} (${node.outputs[k]}) is used, which is not supported`);
  }
  const ctx: NodeContext = { node, inputs, builder, opset };
  return [mapLayerNode(ctx) ?? mapTensorNode(ctx)];
}

/** Folds a node with static inputs once per member, each with its own copy of the node (its Constants' values). */
function foldAcrossMembers(models: readonly OnnxModel[], node: OnnxNode, inputs: readonly (StaticValue | undefined)[]): StaticValue[] {
  const perMember = models.map((model, m) => {
    try {
      return foldNode(
        model.nodes[node.index] as OnnxNode,
        inputs.map((value) => value?.tensors()[m]),
        model.opset,
      );
    } catch (error) {
      if (m > 0 && error instanceof NodeProblem) throw nodeError(model.file, node, error.message);
      throw error;
    }
  });
  const reference = perMember[0] as StaticTensor[];
  return reference.map((tensor, k) => {
    perMember.forEach((outputs, m) => {
      const other = outputs[k] as StaticTensor;
      if (other.dataType !== tensor.dataType || other.shape.join() !== tensor.shape.join()) {
        const model = models[m] as OnnxModel;
        throw nodeError(
          model.file,
          node,
          `folds to ${dataTypeName(other.dataType)} [${other.shape.join(', ')}] here but ${dataTypeName(tensor.dataType)} [${tensor.shape.join(', ')}] in ${models[0]?.file}`,
        );
      }
    });
    return staticValue(node.outputs[k] ?? '', false, tensor.dataType, tensor.shape, () =>
      perMember.map((outputs) => outputs[k] as StaticTensor),
    );
  });
}
