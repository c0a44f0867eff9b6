/**
 * An ONNX model as plain data, and its encoding as an ONNX `ModelProto`
 * (field numbers from onnx/onnx.proto). Only the parts this project emits.
 */
import type { OnnxAttribute } from '../../kernels/onnx-kernel.js';
import { ProtoMessage } from './protobuf-writer.js';

export const ONNX_OPSET = 17;
const IR_VERSION = 8;

export const OnnxDataType = { FLOAT: 1, INT64: 7 } as const;
export type OnnxDataType = (typeof OnnxDataType)[keyof typeof OnnxDataType];

export type { OnnxAttribute } from '../../kernels/onnx-kernel.js';

export const attribute = {
  int: (value: number): OnnxAttribute => ({ kind: 'int', value }),
  ints: (value: readonly number[]): OnnxAttribute => ({ kind: 'ints', value }),
  float: (value: number): OnnxAttribute => ({ kind: 'float', value }),
};

export interface OnnxNode {
  readonly opType: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes?: Readonly<Record<string, OnnxAttribute>>;
}

export interface OnnxInitializer {
  readonly name: string;
  readonly dataType: OnnxDataType;
  readonly dims: readonly number[];
  readonly data: Float32Array | BigInt64Array;
}

/** A graph input or output: a float tensor whose dims may be symbolic (`"batch"`). */
export interface OnnxValueInfo {
  readonly name: string;
  readonly dims?: readonly (number | string)[];
}

export interface OnnxGraph {
  readonly name: string;
  readonly nodes: readonly OnnxNode[];
  readonly initializers: readonly OnnxInitializer[];
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
}

const ATTRIBUTE_TYPE = { float: 1, int: 2, ints: 7 } as const;

export function encodeOnnxModel(graph: OnnxGraph): Uint8Array {
  const model = new ProtoMessage()
    .varint(1, IR_VERSION)
    .string(2, 'deep-ensembles')
    .message(7, encodeGraph(graph))
    .message(8, new ProtoMessage().string(1, '').varint(2, ONNX_OPSET));
  return model.finish();
}

function encodeGraph(graph: OnnxGraph): ProtoMessage {
  const message = new ProtoMessage();
  for (const node of graph.nodes) message.message(1, encodeNode(node));
  message.string(2, graph.name);
  for (const initializer of graph.initializers) message.message(5, encodeInitializer(initializer));
  for (const input of graph.inputs) message.message(11, encodeValueInfo(input));
  for (const output of graph.outputs) message.message(12, encodeValueInfo(output));
  return message;
}

function encodeNode(node: OnnxNode): ProtoMessage {
  const message = new ProtoMessage();
  for (const input of node.inputs) message.string(1, input);
  for (const output of node.outputs) message.string(2, output);
  message.string(4, node.opType);
  for (const [name, value] of Object.entries(node.attributes ?? {})) {
    const encoded = new ProtoMessage().string(1, name);
    if (value.kind === 'float') encoded.float(2, value.value);
    else if (value.kind === 'int') encoded.varint(3, value.value);
    else for (const item of value.value) encoded.varint(8, item);
    encoded.varint(20, ATTRIBUTE_TYPE[value.kind]);
    message.message(5, encoded);
  }
  return message;
}

function encodeInitializer(initializer: OnnxInitializer): ProtoMessage {
  const message = new ProtoMessage();
  for (const dim of initializer.dims) message.varint(1, dim);
  message.varint(2, initializer.dataType);
  message.string(8, initializer.name);
  const { buffer, byteOffset, byteLength } = initializer.data;
  message.bytes(9, new Uint8Array(buffer, byteOffset, byteLength));
  return message;
}

function encodeValueInfo(value: OnnxValueInfo): ProtoMessage {
  const tensorType = new ProtoMessage().varint(1, OnnxDataType.FLOAT);
  if (value.dims) {
    const shape = new ProtoMessage();
    for (const dim of value.dims) {
      const dimension = typeof dim === 'number' ? new ProtoMessage().varint(1, dim) : new ProtoMessage().string(2, dim);
      shape.message(1, dimension);
    }
    tensorType.message(2, shape);
  }
  return new ProtoMessage().string(1, value.name).message(2, new ProtoMessage().message(1, tensorType));
}
