/**
 * The members of an ensemble must be one architecture: every member file
 * has the first one's input and output types, the same nodes in the same
 * order (op types, attributes, wiring) and initializers with the same names,
 * element types and shapes. Only values may differ: they are the members'
 * weights (so are the values of tensor attributes, such as a Constant's).
 * The first difference is reported, naming the file and the node:
 * `member2.onnx differs from member0.onnx at node 7 (/layer1/conv2/Conv):
 * attribute group is 1 there, 2 here`.
 */
import { formatValueInfo, type OnnxAttribute, type OnnxModel, type OnnxNode, type OnnxTensor, type OnnxValueInfo } from './decode-onnx.js';
import { OnnxImportError } from './onnx-import-error.js';
import { dataTypeName } from './static-tensor.js';

/** Throws an `OnnxImportError` (`MEMBERS_MISMATCH`) at the first way a member differs from the first. */
export function checkSameGraph(models: readonly OnnxModel[]): void {
  const [first, ...rest] = models;
  if (!first) return;
  for (const model of rest) {
    const difference = firstDifference(first, model);
    if (difference !== undefined) {
      throw new OnnxImportError(model.file, `${model.file} differs from ${first.file}${difference}`, { code: 'MEMBERS_MISMATCH' });
    }
  }
}

/** Where and how `here` differs from `there`, as the end of a sentence, or undefined. */
function firstDifference(there: OnnxModel, here: OnnxModel): string | undefined {
  if (there.opset !== here.opset) return `: it uses opset ${here.opset}, ${there.file} opset ${there.opset}`;
  const input = valueInfoDifference('input', there.input, here.input);
  if (input) return `: ${input}`;

  // Values are compared by where they come from, not by name: the graph input, an initializer, a node's k-th output.
  const originsThere = origins(there);
  const originsHere = origins(here);
  const count = Math.min(there.nodes.length, here.nodes.length);
  for (let i = 0; i < count; i++) {
    const a = there.nodes[i] as OnnxNode;
    const b = here.nodes[i] as OnnxNode;
    const problem = nodeDifference(
      a,
      b,
      (name) => originsThere.get(name),
      (name) => originsHere.get(name),
      there,
      here,
    );
    if (problem) return ` at node ${i} (${b.name || b.opType}): ${problem}`;
  }
  if (there.nodes.length !== here.nodes.length) {
    const extra = (there.nodes.length > here.nodes.length ? there.nodes : here.nodes)[count] as OnnxNode;
    const which = there.nodes.length > here.nodes.length ? `${there.file} goes on with` : 'this file goes on with';
    return ` at node ${count}: ${here.file} has ${here.nodes.length} nodes, ${there.file} ${there.nodes.length} (${which} ${extra.name || extra.opType}, ${extra.opType})`;
  }
  const output = valueInfoDifference('output', there.output, here.output);
  if (output) return `: ${output}`;
  if (originsThere.get(there.output.name) !== originsHere.get(here.output.name)) return `: its output is another node's`;

  for (const [name, tensor] of there.initializers) {
    const other = here.initializers.get(name);
    if (!other) return `: it has no initializer ${name}`;
    const problem = tensorDifference(tensor, other);
    if (problem) return `: initializer ${name} is ${problem}`;
  }
  for (const name of here.initializers.keys())
    if (!there.initializers.has(name)) return `: it has an initializer ${name} that ${there.file} lacks`;
  return undefined;
}

function origins(model: OnnxModel): Map<string, string> {
  const map = new Map<string, string>([[model.input.name, 'the input']]);
  for (const name of model.initializers.keys()) map.set(name, `initializer ${name}`);
  for (const node of model.nodes) {
    node.outputs.forEach((output, k) => {
      if (output !== '') map.set(output, `output ${k} of node ${node.index} (${node.name || node.opType})`);
    });
  }
  return map;
}

function nodeDifference(
  a: OnnxNode,
  b: OnnxNode,
  originThere: (name: string) => string | undefined,
  originHere: (name: string) => string | undefined,
  there: OnnxModel,
  here: OnnxModel,
): string | undefined {
  if (a.opType !== b.opType || a.domain !== b.domain) return `op ${opLabel(a)} there, ${opLabel(b)} here`;
  if (a.inputs.length !== b.inputs.length) return `${a.inputs.length} inputs there, ${b.inputs.length} here`;
  for (let k = 0; k < a.inputs.length; k++) {
    const from = a.inputs[k] === '' ? 'omitted' : originThere(a.inputs[k] as string);
    const to = b.inputs[k] === '' ? 'omitted' : originHere(b.inputs[k] as string);
    if (from !== to) return `input ${k} is ${from} there, ${to} here`;
  }
  if (a.outputs.length !== b.outputs.length) return `${a.outputs.length} outputs there, ${b.outputs.length} here`;
  for (let k = 0; k < a.outputs.length; k++) {
    if ((a.outputs[k] === '') !== (b.outputs[k] === ''))
      return `output ${k} is ${a.outputs[k] === '' ? 'omitted' : 'made'} there, not here`;
  }
  for (const [name, attribute] of a.attributes) {
    const other = b.attributes.get(name);
    if (!other) return `attribute ${name} is ${formatAttribute(attribute)} there, absent here`;
    const problem = attributeDifference(attribute, other);
    if (problem) return problem;
  }
  for (const [name, attribute] of b.attributes) {
    if (!a.attributes.has(name)) return `attribute ${name} is absent there, ${formatAttribute(attribute)} here`;
  }
  // Initializers read by the node: same element type and shape (their values are the members' own).
  for (let k = 0; k < a.inputs.length; k++) {
    const tx = there.initializers.get(a.inputs[k] as string);
    const ty = here.initializers.get(b.inputs[k] as string);
    const problem = tx && ty ? tensorDifference(tx, ty) : undefined;
    if (problem) return `input ${k} (${b.inputs[k]}) is ${problem}`;
  }
  return undefined;
}

function attributeDifference(a: OnnxAttribute, b: OnnxAttribute): string | undefined {
  if (a.kind === 'tensor' && b.kind === 'tensor') {
    const problem = tensorDifference(a.value, b.value);
    return problem ? `attribute ${a.name} is ${problem}` : undefined;
  }
  const x = formatAttribute(a);
  const y = formatAttribute(b);
  return a.kind === b.kind && x === y ? undefined : `attribute ${a.name} is ${x} there, ${y} here`;
}

/** An attribute's value for messages; tensors by type and shape (their values may differ). */
export function formatAttribute(attribute: OnnxAttribute): string {
  switch (attribute.kind) {
    case 'tensor':
      return `a ${formatTensorType(attribute.value)} tensor`;
    case 'string':
      return JSON.stringify(attribute.value);
    case 'floats':
    case 'ints':
      return `[${attribute.value.join(', ')}]`;
    case 'strings':
      return `[${attribute.value.map((value) => JSON.stringify(value)).join(', ')}]`;
    default:
      return String(attribute.value);
  }
}

function tensorDifference(a: OnnxTensor, b: OnnxTensor): string | undefined {
  const x = formatTensorType(a);
  const y = formatTensorType(b);
  return x === y ? undefined : `${x} there, ${y} here`;
}

function formatTensorType(tensor: OnnxTensor): string {
  return `${dataTypeName(tensor.dataType)} [${tensor.dims.join(', ')}]`;
}

function valueInfoDifference(what: string, a: OnnxValueInfo, b: OnnxValueInfo): string | undefined {
  const sameDims =
    a.dims?.length === b.dims?.length &&
    (a.dims ?? []).every((dim, i) => {
      const other = b.dims?.[i];
      // Symbolic dims may be named differently; sizes must agree.
      return typeof dim === 'number' || typeof other === 'number' ? dim === other : true;
    });
  if (a.elemType === b.elemType && sameDims) return undefined;
  return `its ${what} is ${formatValueInfo(a)} there, ${formatValueInfo(b)} here`;
}

function opLabel(node: OnnxNode): string {
  return node.domain && node.domain !== 'ai.onnx' ? `${node.domain}.${node.opType}` : node.opType;
}
