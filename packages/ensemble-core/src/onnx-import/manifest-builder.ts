/**
 * What the graph walk writes: manifest layers, each with explicit `inputs`
 * and a unique `name`, and the members' parameters stacked as float32
 * `[N, ...]` under the names the manifest uses. Values are either *static*
 * (known at import time: one copy per member) or *dynamic* (a manifest value
 * that depends on the input). A static value a dynamic node reads becomes a
 * `parameter` layer (stacked) when the members' copies differ or it is
 * larger than 64 elements, else a `constant` layer (a literal shared by all
 * members); integer values become int64 constants (gather indices).
 */
import { INPUT_VALUE } from '../manifest/manifest-schema.js';
import type { SymbolicShape } from '../tensor/symbolic-shape.js';
import type { ValueDtype } from '../tensor/value-info.js';
import { NameRegistry, sanitizeName } from './names.js';
import { unsupported } from './onnx-import-error.js';
import {
  dataTypeName,
  elementCount,
  floatValues,
  formatDims,
  isFloatData,
  isFloatType,
  isIntegerType,
  type StaticTensor,
  sameStaticData,
} from './static-tensor.js';

/** A value that depends on the input: a manifest value (`input` or a layer's name). */
export interface DynamicValue {
  readonly kind: 'dynamic';
  readonly id: string;
  readonly shape: SymbolicShape;
  readonly dtype: ValueDtype;
}

/** A value known at import time, one copy per member (decoded or folded on first use). */
export interface StaticValue {
  readonly kind: 'static';
  /** Its ONNX name. */
  readonly name: string;
  /** Whether it is an initializer of the file (its name is then a `state_dict` key, or the exporter's). */
  readonly initializer: boolean;
  readonly dataType: number;
  readonly shape: readonly number[];
  /** The members' copies, in member order. */
  tensors(): readonly StaticTensor[];
}

export type Value = DynamicValue | StaticValue;

/** A manifest layer as written: its op, its fields, its name and the values it reads. */
export type LayerDocument = { op: string; name: string; inputs: string[] } & Record<string, unknown>;

/** Floats of up to this many elements that all members share become literals, not stacked parameters. */
export const MAX_CONSTANT_ELEMENTS = 64;
/** The most values a manifest's `constant` holds. */
const MAX_LITERAL_ELEMENTS = 65_536;

export class ManifestBuilder {
  readonly layers: LayerDocument[] = [];
  readonly parameters = new Map<string, Float32Array>();
  readonly names = new NameRegistry();
  private readonly materialized = new Map<string, DynamicValue>();

  constructor(readonly members: number) {}

  /**
   * Appends a layer reading `inputs` and returns the value it makes. `name`
   * must come from `names.take` (layers with parameters reserve their
   * parameter names with it).
   */
  add(
    name: string,
    layer: { op: string } & Record<string, unknown>,
    inputs: readonly DynamicValue[],
    shape: SymbolicShape,
    dtype: ValueDtype,
  ): DynamicValue {
    const { op, ...fields } = layer;
    this.layers.push({ op, name, ...fields, inputs: inputs.map((input) => input.id) });
    return { kind: 'dynamic', id: name, shape, dtype };
  }

  /** A name for the value an ONNX output stands for (`/layer1/Relu_output_0` -> `layer1.Relu_output_0`). */
  valueName(onnxName: string, fallback: string): string {
    // TorchScript names outputs `<node>_output_<k>`: the node's name is enough.
    return this.names.take([sanitizeName(onnxName.replace(/_output_0$/, ''))], fallback);
  }

  /** Stacks the members' copies of a float value as `name` (float32 `[N, ...shape]`). */
  stack(name: string, value: StaticValue): void {
    if (!isFloatType(value.dataType)) unsupported(`${value.name} is ${dataTypeName(value.dataType)}, not a float tensor`);
    const tensors = value.tensors();
    const size = elementCount(value.shape);
    const stacked = new Float32Array(size * this.members);
    tensors.forEach((tensor, m) => {
      if (!isFloatData(tensor.data) || tensor.data.length !== size) unsupported(`${value.name} has another shape in member ${m}`);
      stacked.set(tensor.data, m * size);
    });
    this.parameters.set(name, stacked);
  }

  /** Stacks `size` zeros per member as `name` (a bias the file leaves out). */
  stackZeros(name: string, size: number): void {
    this.parameters.set(name, new Float32Array(size * this.members));
  }

  /**
   * The static value as a manifest value: a `parameter` (stacked), a float
   * `constant` (shared literal) or an int64 `constant`. Each static value
   * becomes one layer, however many nodes read it.
   */
  materialize(value: StaticValue): DynamicValue {
    const known = this.materialized.get(value.name);
    if (known) return known;
    const tensors = value.tensors();
    const first = tensors[0] as StaticTensor;
    const same = tensors.every((tensor) => sameStaticData(tensor.data, first.data));
    const size = elementCount(value.shape);
    const shape = [...value.shape];
    let made: DynamicValue;
    if (isFloatType(value.dataType)) {
      const name = this.valueName(value.name, 'parameter');
      if (!same || size > MAX_CONSTANT_ELEMENTS) {
        made = this.add(name, { op: 'parameter', shape }, [], shape, 'float32');
        this.stack(name, value);
      } else {
        made = this.add(name, { op: 'constant', shape, value: Array.from(floatValues(first)), dtype: 'float32' }, [], shape, 'float32');
      }
    } else if (isIntegerType(value.dataType) || value.dataType === 9) {
      if (!same) unsupported(`${value.name} holds integers that differ between members`);
      if (size > MAX_LITERAL_ELEMENTS)
        unsupported(`${value.name} holds ${size} integers, more than a constant may (${MAX_LITERAL_ELEMENTS})`);
      const values = first.data as readonly unknown[];
      if (values.some((v) => typeof v !== 'number')) {
        unsupported(`${value.name} = ${formatDims(first.data as never)} depends on the batch size, and cannot be a constant`);
      }
      const name = this.valueName(value.name, 'constant');
      made = this.add(name, { op: 'constant', shape, value: [...(values as number[])], dtype: 'int64' }, [], shape, 'int64');
    } else {
      return unsupported(`${value.name} is ${dataTypeName(value.dataType)}, which a manifest cannot hold`);
    }
    this.materialized.set(value.name, made);
    return made;
  }
}

/** The graph input as a manifest value. */
export function inputValue(shape: SymbolicShape, dtype: ValueDtype): DynamicValue {
  return { kind: 'dynamic', id: INPUT_VALUE, shape, dtype };
}
