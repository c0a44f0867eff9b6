/**
 * Reads one member's `.onnx` file with protobufjs and the official ONNX
 * schema (`onnx-schema.ts`) into plain objects: the graph's nodes in file
 * order, its initializers (still encoded, decoded on use by
 * `tensor-data.ts`), its input and output. Refuses what cannot be imported
 * whatever its graph: unreadable (truncated, corrupt) files, weights kept in
 * external data files, graphs with more or less than one input or output,
 * nodes that read values nothing made before them.
 */
import protobuf from 'protobufjs/light.js';
import { OnnxImportError } from './onnx-import-error.js';
import { onnxSchema } from './onnx-schema.js';
import { dataTypeName } from './static-tensor.js';
import { type Int64, int64, tensorDataProblem } from './tensor-data.js';

/** The fields of `onnx.TensorProto` the importer reads. */
export interface TensorMessage {
  readonly name: string;
  readonly dataType: number;
  readonly dims: readonly Int64[];
  readonly floatData: readonly number[];
  readonly int32Data: readonly number[];
  readonly int64Data: readonly Int64[];
  readonly uint64Data: readonly Int64[];
  readonly doubleData: readonly number[];
  readonly stringData: readonly Uint8Array[];
  readonly rawData: Uint8Array;
  readonly dataLocation: number;
  readonly externalData: readonly { readonly key: string; readonly value: string }[];
  hasOwnProperty(field: string): boolean;
}

interface AttributeMessage {
  readonly name: string;
  readonly type: number;
  readonly f: number;
  readonly i: Int64;
  readonly s: Uint8Array;
  readonly t: TensorMessage | null;
  readonly g: unknown;
  readonly floats: readonly number[];
  readonly ints: readonly Int64[];
  readonly strings: readonly Uint8Array[];
  readonly tensors: readonly TensorMessage[];
  readonly graphs: readonly unknown[];
  hasOwnProperty(field: string): boolean;
}

interface NodeMessage {
  readonly name: string;
  readonly opType: string;
  readonly domain: string;
  readonly input: readonly string[];
  readonly output: readonly string[];
  readonly attribute: readonly AttributeMessage[];
}

interface ValueInfoMessage {
  readonly name: string;
  readonly type: {
    readonly tensorType?: {
      readonly elemType: number;
      readonly shape?: {
        readonly dim: readonly { readonly dimValue?: Int64; readonly dimParam?: string; hasOwnProperty(field: string): boolean }[];
      } | null;
    } | null;
  } | null;
}

interface GraphMessage {
  readonly node: readonly NodeMessage[];
  readonly initializer: readonly TensorMessage[];
  readonly sparseInitializer: readonly unknown[];
  readonly input: readonly ValueInfoMessage[];
  readonly output: readonly ValueInfoMessage[];
}

interface ModelMessage {
  readonly irVersion: Int64;
  readonly graph: GraphMessage | null;
  readonly opsetImport: readonly { readonly domain: string; readonly version: Int64 }[];
}

/** An initializer or a Constant's tensor, as stored (decoded on use). */
export interface OnnxTensor {
  readonly name: string;
  readonly dataType: number;
  readonly dims: readonly number[];
  readonly message: TensorMessage;
}

export type OnnxAttribute =
  | { readonly name: string; readonly kind: 'float'; readonly value: number }
  | { readonly name: string; readonly kind: 'int'; readonly value: number }
  | { readonly name: string; readonly kind: 'string'; readonly value: string }
  | { readonly name: string; readonly kind: 'tensor'; readonly value: OnnxTensor }
  | { readonly name: string; readonly kind: 'floats'; readonly value: readonly number[] }
  | { readonly name: string; readonly kind: 'ints'; readonly value: readonly number[] }
  | { readonly name: string; readonly kind: 'strings'; readonly value: readonly string[] }
  | { readonly name: string; readonly kind: 'other'; readonly value: string };

export interface OnnxNode {
  readonly index: number;
  readonly name: string;
  readonly opType: string;
  /** `''` for the default `ai.onnx` domain. */
  readonly domain: string;
  /** Value names; `''` for an omitted optional input. */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: ReadonlyMap<string, OnnxAttribute>;
}

/** A graph input's or output's declared type: element type and dims (size, symbolic name, or unknown). */
export interface OnnxValueInfo {
  readonly name: string;
  readonly elemType: number | undefined;
  readonly dims: readonly (number | string | undefined)[] | undefined;
}

export interface OnnxModel {
  /** The member file's name, for messages. */
  readonly file: string;
  readonly irVersion: number;
  /** The `ai.onnx` opset version. */
  readonly opset: number;
  readonly nodes: readonly OnnxNode[];
  readonly initializers: ReadonlyMap<string, OnnxTensor>;
  readonly input: OnnxValueInfo;
  readonly output: OnnxValueInfo;
}

let modelType: protobuf.Type | undefined;

function modelProto(): protobuf.Type {
  modelType ??= protobuf.Root.fromJSON(onnxSchema).lookupType('onnx.ModelProto');
  return modelType;
}

const textDecoder = new TextDecoder();

/**
 * Decodes and checks one member file.
 *
 * @example
 * const model = decodeOnnxModel({ name: 'member0.onnx', bytes: readFileSync('member0.onnx') });
 * model.nodes[0].opType; // 'Conv'
 */
export function decodeOnnxModel(file: { readonly name: string; readonly bytes: Uint8Array }): OnnxModel {
  const unreadable = (why: string) => new OnnxImportError(file.name, `${file.name} is not a readable ONNX model: ${why}`);
  let message: ModelMessage;
  try {
    message = modelProto().decode(file.bytes) as unknown as ModelMessage;
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw unreadable(`its protobuf data is cut short or corrupt (${why})`);
  }
  const irVersion = int64(message.irVersion);
  if (irVersion <= 0) throw unreadable('it has no ir_version');
  const graph = message.graph;
  if (!graph) throw unreadable('it holds no graph');
  const defaultOpset = message.opsetImport.find((entry) => entry.domain === '' || entry.domain === 'ai.onnx');
  if (!defaultOpset) throw unreadable('it imports no ai.onnx opset');

  const initializers = new Map<string, OnnxTensor>();
  for (const tensor of graph.initializer) {
    const decoded = tensorOf(file.name, tensor, `initializer ${tensor.name}`);
    initializers.set(decoded.name, decoded);
  }
  if (graph.sparseInitializer.length > 0) {
    throw new OnnxImportError(file.name, `${file.name} holds sparse initializers, which are not supported`);
  }

  const nodes = graph.node.map((node, index): OnnxNode => {
    const attributes = new Map<string, OnnxAttribute>();
    for (const attribute of node.attribute) attributes.set(attribute.name, attributeOf(file.name, node, attribute));
    return {
      index,
      name: node.name,
      opType: node.opType,
      domain: node.domain,
      inputs: [...node.input],
      outputs: [...node.output],
      attributes,
    };
  });

  // Older exporters list initializers among the inputs too; the model's own inputs are the others.
  const inputs = graph.input.filter((input) => !initializers.has(input.name));
  if (inputs.length !== 1) {
    const names = inputs.map((input) => input.name).join(', ');
    throw new OnnxImportError(file.name, `${file.name} has ${inputs.length} inputs (${names || 'none'}); a member must take one input`);
  }
  if (graph.output.length !== 1) {
    const names = graph.output.map((output) => output.name).join(', ');
    throw new OnnxImportError(
      file.name,
      `${file.name} has ${graph.output.length} outputs (${names || 'none'}); a member must give one output`,
    );
  }
  const input = valueInfoOf(inputs[0] as ValueInfoMessage);
  const output = valueInfoOf(graph.output[0] as ValueInfoMessage);

  // Nodes come in an order of evaluation (the ONNX format requires it): every value read is made before.
  const known = new Set<string>([input.name, ...initializers.keys()]);
  for (const node of nodes) {
    for (const name of node.inputs) {
      if (name !== '' && !known.has(name)) {
        const label = node.name ? `${node.name} (${node.opType})` : `${node.index} (${node.opType})`;
        throw unreadable(`node ${label} reads ${name}, which no earlier node, initializer or input makes`);
      }
    }
    for (const name of node.outputs) if (name !== '') known.add(name);
  }
  if (!known.has(output.name)) throw unreadable(`its output ${output.name} is made by no node`);

  return { file: file.name, irVersion, opset: int64(defaultOpset.version), nodes, initializers, input, output };
}

function tensorOf(file: string, tensor: TensorMessage, what: string): OnnxTensor {
  if (tensor.dataLocation === 1 || tensor.externalData.length > 0) {
    const location = tensor.externalData.find((entry) => entry.key === 'location')?.value;
    throw new OnnxImportError(
      file,
      `${file} keeps ${what} in an external data file${location ? ` (${location})` : ''}; ` +
        'export with external_data=False so that the weights are inside the .onnx file',
    );
  }
  const dims = tensor.dims.map(int64);
  if (dims.some((dim) => !Number.isSafeInteger(dim) || dim < 0)) {
    throw new OnnxImportError(file, `${file} is not a readable ONNX model: ${what} has dims [${dims.join(', ')}]`);
  }
  const decoded = { name: tensor.name, dataType: tensor.dataType, dims, message: tensor };
  const problem = tensorDataProblem(decoded);
  if (problem) throw new OnnxImportError(file, `${file} is not a readable ONNX model: ${what}: ${problem}`);
  return decoded;
}

function attributeOf(file: string, node: NodeMessage, attribute: AttributeMessage): OnnxAttribute {
  const name = attribute.name;
  const has = (field: string) => Object.hasOwn(attribute, field);
  // AttributeProto.AttributeType; 0 (UNDEFINED) in old files, where the field that is set tells.
  const type =
    attribute.type ||
    (has('f')
      ? 1
      : has('i')
        ? 2
        : has('s')
          ? 3
          : has('t')
            ? 4
            : attribute.floats.length
              ? 6
              : attribute.ints.length
                ? 7
                : attribute.strings.length
                  ? 8
                  : 0);
  switch (type) {
    case 1:
      return { name, kind: 'float', value: shortestFloat32(attribute.f) };
    case 2:
      return { name, kind: 'int', value: int64(attribute.i) };
    case 3:
      return { name, kind: 'string', value: textDecoder.decode(attribute.s) };
    case 4:
      if (!attribute.t) break;
      return { name, kind: 'tensor', value: tensorOf(file, attribute.t, `the tensor of node ${node.name || node.opType}`) };
    case 6:
      return { name, kind: 'floats', value: attribute.floats.map(shortestFloat32) };
    case 7:
      return { name, kind: 'ints', value: attribute.ints.map(int64) };
    case 8:
      return { name, kind: 'strings', value: attribute.strings.map((s) => textDecoder.decode(s)) };
  }
  const kinds: Record<number, string> = { 5: 'a graph', 9: 'tensors', 10: 'graphs', 11: 'a sparse tensor', 12: 'sparse tensors' };
  return { name, kind: 'other', value: kinds[type] ?? `attribute type ${type}` };
}

/**
 * A float32 attribute as the shortest decimal that rounds to it: the 1e-5 a
 * PyTorch module was given, rather than float32's 9.999999747378752e-6.
 */
export function shortestFloat32(value: number): number {
  for (let digits = 1; digits <= 9; digits++) {
    const candidate = Number(value.toPrecision(digits));
    if (Math.fround(candidate) === value) return candidate;
  }
  return value;
}

function valueInfoOf(info: ValueInfoMessage): OnnxValueInfo {
  const tensorType = info.type?.tensorType;
  const dims = tensorType?.shape?.dim.map((dim) =>
    Object.hasOwn(dim, 'dimValue') && dim.dimValue !== undefined ? int64(dim.dimValue) : dim.dimParam || undefined,
  );
  return { name: info.name, elemType: tensorType?.elemType || undefined, dims };
}

/** `float32 [batch, 3, 32, 32]`, for messages. */
export function formatValueInfo(info: OnnxValueInfo): string {
  const type = info.elemType === undefined ? 'untyped' : dataTypeName(info.elemType);
  const dims = info.dims === undefined ? 'of unknown shape' : `[${info.dims.map((dim) => dim ?? '?').join(', ')}]`;
  return `${type} ${dims}`;
}
