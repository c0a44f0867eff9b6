/**
 * Reading a node's attributes with their ONNX defaults, and refusing the
 * ones the importer does not understand by name and value
 * (`attribute ceil_mode=1 is not supported`).
 */
import type { OnnxAttribute, OnnxNode, OnnxTensor } from './decode-onnx.js';
import { unsupported } from './onnx-import-error.js';
import { formatAttribute } from './same-graph.js';

/** Refuses any attribute not named in `known`. */
export function onlyAttributes(node: OnnxNode, known: readonly string[]): void {
  for (const attribute of node.attributes.values()) {
    if (!known.includes(attribute.name)) refuse(attribute);
  }
}

function refuse(attribute: OnnxAttribute, why = ''): never {
  return unsupported(`attribute ${attribute.name}=${formatAttribute(attribute)} is not supported${why ? ` (${why})` : ''}`);
}

/** Refuses the node's attribute `name` as it is (or its default, when absent), saying why. */
export function refuseAttribute(node: OnnxNode, name: string, why = ''): never {
  const found = node.attributes.get(name);
  if (found) return refuse(found, why);
  return unsupported(`attribute ${name} (absent, its default) is not supported${why ? ` (${why})` : ''}`);
}

function attribute(node: OnnxNode, name: string): OnnxAttribute | undefined {
  return node.attributes.get(name);
}

export function intAttribute(node: OnnxNode, name: string, fallback: number): number;
export function intAttribute(node: OnnxNode, name: string): number | undefined;
export function intAttribute(node: OnnxNode, name: string, fallback?: number): number | undefined {
  const found = attribute(node, name);
  if (found === undefined) return fallback;
  if (found.kind !== 'int') return refuse(found, 'expected an integer');
  return found.value;
}

export function intsAttribute(node: OnnxNode, name: string): readonly number[] | undefined {
  const found = attribute(node, name);
  if (found === undefined) return undefined;
  if (found.kind !== 'ints') return refuse(found, 'expected integers');
  return found.value;
}

export function floatAttribute(node: OnnxNode, name: string, fallback: number): number {
  const found = attribute(node, name);
  if (found === undefined) return fallback;
  if (found.kind !== 'float') return refuse(found, 'expected a float');
  return found.value;
}

export function stringAttribute(node: OnnxNode, name: string, fallback: string): string {
  const found = attribute(node, name);
  if (found === undefined) return fallback;
  if (found.kind !== 'string') return refuse(found, 'expected a string');
  return found.value;
}

export function tensorAttribute(node: OnnxNode, name: string): OnnxTensor | undefined {
  const found = attribute(node, name);
  if (found === undefined) return undefined;
  if (found.kind !== 'tensor') return refuse(found, 'expected a tensor');
  return found.value;
}

/** Requires an attribute, when present, to have one of the values given. */
export function expectIntAttribute(node: OnnxNode, name: string, allowed: readonly number[], fallback: number): number {
  const value = intAttribute(node, name, fallback);
  if (node.attributes.has(name) && !allowed.includes(value)) refuseAttribute(node, name);
  return value;
}
