/**
 * Accumulates nodes and initializers while the vectorized graph is emitted,
 * handing out unique value names.
 */
import type { OnnxGraphWriter } from '../../kernels/onnx-kernel.js';
import { type OnnxAttribute, OnnxDataType, type OnnxGraph, type OnnxInitializer, type OnnxNode, type OnnxValueInfo } from './onnx-model.js';

export class OnnxGraphBuilder implements OnnxGraphWriter {
  private readonly nodes: OnnxNode[] = [];
  private readonly initializers: OnnxInitializer[] = [];
  private readonly used = new Set<string>();

  /** A float32 constant (an initializer). */
  constant(hint: string, dims: readonly number[], data: Float32Array): string {
    const name = this.uniqueName(hint);
    this.initializers.push({ name, dataType: OnnxDataType.FLOAT, dims: [...dims], data });
    return name;
  }

  /** A 1-D int64 constant, e.g. a target shape for `Reshape`. */
  int64s(hint: string, values: readonly number[]): string {
    const name = this.uniqueName(hint);
    const data = BigInt64Array.from(values, (value) => BigInt(value));
    this.initializers.push({ name, dataType: OnnxDataType.INT64, dims: [values.length], data });
    return name;
  }

  int64Tensor(hint: string, dims: readonly number[], values: readonly number[]): string {
    const name = this.uniqueName(hint);
    const data = BigInt64Array.from(values, (value) => BigInt(value));
    this.initializers.push({ name, dataType: OnnxDataType.INT64, dims: [...dims], data });
    return name;
  }

  /** Appends a node with one output and returns that output's name. */
  node(opType: string, inputs: readonly string[], attributes?: Record<string, OnnxAttribute>): string {
    const output = this.uniqueName(opType.toLowerCase());
    this.nodes.push({ opType, inputs, outputs: [output], ...(attributes ? { attributes } : {}) });
    return output;
  }

  /** Renames the value `from` to the graph output `to` with an `Identity`. */
  alias(from: string, to: string): void {
    this.used.add(to);
    this.nodes.push({ opType: 'Identity', inputs: [from], outputs: [to] });
  }

  build(name: string, inputs: readonly OnnxValueInfo[], outputs: readonly OnnxValueInfo[]): OnnxGraph {
    return { name, nodes: this.nodes, initializers: this.initializers, inputs, outputs };
  }

  private uniqueName(hint: string): string {
    let name = hint;
    for (let i = 1; this.used.has(name); i++) name = `${hint}_${i}`;
    this.used.add(name);
    return name;
  }
}
