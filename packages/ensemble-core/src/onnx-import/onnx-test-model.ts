/**
 * Small ONNX models written in tests, encoded with the same protobufjs
 * schema the importer decodes with: a graph in a few lines, for the cases
 * the exported fixtures do not cover (external data, several inputs, a fixed
 * batch, folding rules, mapping rules).
 */
import protobuf from 'protobufjs/light.js';
import { onnxSchema } from './onnx-schema.js';
import { DataType } from './static-tensor.js';

export interface TestTensor {
  readonly name: string;
  readonly dims: readonly number[];
  /** float32 values, or int64 ones with `int64: true`. */
  readonly values: readonly number[];
  readonly int64?: boolean;
  /** Where the data lives: in the file (default) or in an external file of this name. */
  readonly external?: string;
}

export interface TestNode {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly name?: string;
  readonly attributes?: Readonly<Record<string, number | string | readonly number[] | TestTensor | { float: number }>>;
}

export interface TestValue {
  readonly name: string;
  /** Sizes, or a name for a symbolic dim. */
  readonly dims: readonly (number | string)[];
  readonly dataType?: number;
}

export interface TestModel {
  readonly inputs: readonly TestValue[];
  readonly outputs: readonly TestValue[];
  readonly nodes: readonly TestNode[];
  readonly initializers?: readonly TestTensor[];
  readonly opset?: number;
}

const root = protobuf.Root.fromJSON(onnxSchema);
const ModelProto = root.lookupType('onnx.ModelProto');

function tensorMessage(tensor: TestTensor): Record<string, unknown> {
  const base = { name: tensor.name, dims: [...tensor.dims], dataType: tensor.int64 ? DataType.INT64 : DataType.FLOAT };
  if (tensor.external) {
    return {
      ...base,
      dataLocation: 1,
      externalData: [
        { key: 'location', value: tensor.external },
        { key: 'offset', value: '0' },
      ],
    };
  }
  const bytes = tensor.int64
    ? new Uint8Array(BigInt64Array.from(tensor.values, (v) => BigInt(v)).buffer)
    : new Uint8Array(Float32Array.from(tensor.values).buffer);
  return { ...base, rawData: bytes };
}

function attributeMessage(name: string, value: NonNullable<TestNode['attributes']>[string]): Record<string, unknown> {
  if (typeof value === 'number') return { name, type: 2, i: value };
  if (typeof value === 'string') return { name, type: 3, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: 7, ints: [...value] };
  if ('float' in value) return { name, type: 1, f: value.float };
  return { name, type: 4, t: tensorMessage(value as TestTensor) };
}

function valueMessage(value: TestValue): Record<string, unknown> {
  return {
    name: value.name,
    type: {
      tensorType: {
        elemType: value.dataType ?? DataType.FLOAT,
        shape: { dim: value.dims.map((dim) => (typeof dim === 'number' ? { dimValue: dim } : { dimParam: dim })) },
      },
    },
  };
}

/** The model as `.onnx` bytes. */
export function encodeTestModel(model: TestModel): Uint8Array {
  const message = ModelProto.fromObject({
    irVersion: 8,
    producerName: 'test',
    opsetImport: [{ domain: '', version: model.opset ?? 17 }],
    graph: {
      name: 'test',
      node: model.nodes.map((node, i) => ({
        name: node.name ?? `/n${i}/${node.op}`,
        opType: node.op,
        input: [...node.inputs],
        output: [...node.outputs],
        attribute: Object.entries(node.attributes ?? {}).map(([name, value]) => attributeMessage(name, value)),
      })),
      initializer: (model.initializers ?? []).map(tensorMessage),
      input: model.inputs.map(valueMessage),
      output: model.outputs.map(valueMessage),
    },
  });
  return ModelProto.encode(message).finish();
}
