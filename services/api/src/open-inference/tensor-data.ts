/**
 * An input's JSON `data`, which the protocol allows flat or nested in the
 * tensor's natural row-major form (`[[1, 2], [4, 5]]` for shape `[2, 2]`),
 * as one flat list. Nested data must follow the shape exactly; the walk
 * goes no deeper than the shape's rank, so no nesting depth costs more
 * than the values sent.
 */
import { formatShape, sizeOf } from '@ensembles/core';
import { HttpError } from '../http-errors.js';

/**
 * The values of `data` in row-major order, checked against `shape`.
 *
 * @throws HttpError 400 naming the input when the count or the nesting does not match the shape.
 * @example
 * flatTensorData('input', [2, 2], [[1, 2], [4, 5]]); // [1, 2, 4, 5]
 * flatTensorData('input', [2, 2], [1, 2, 4, 5]); // [1, 2, 4, 5]
 */
export function flatTensorData(input: string, shape: readonly number[], data: readonly unknown[]): unknown[] {
  const name = `input ${JSON.stringify(input)}`;
  const nested = shape.length > 1 && data.some(Array.isArray);
  if (!nested) {
    const expected = sizeOf(shape);
    if (data.length !== expected) {
      throw new HttpError(400, 'INPUT_INVALID', `${name} of shape ${formatShape(shape)} needs ${expected} values, got ${data.length}`);
    }
    const inner = data.findIndex(Array.isArray);
    if (inner >= 0) {
      throw new HttpError(
        400,
        'INPUT_INVALID',
        `${name}: data[${inner}] is a list; give the values flat or nested as the shape ${formatShape(shape)}`,
      );
    }
    return data as unknown[];
  }
  const flat: unknown[] = [];
  const walk = (node: unknown, depth: number, path: string): void => {
    const dim = shape[depth] as number;
    if (!Array.isArray(node) || node.length !== dim) {
      const found = Array.isArray(node) ? `a list of ${node.length}` : 'a single value';
      throw new HttpError(
        400,
        'INPUT_INVALID',
        `${name}: ${path} is ${found} where its shape ${formatShape(shape)} needs a list of ${dim}; nested data must follow the shape exactly`,
      );
    }
    if (depth === shape.length - 1) {
      const inner = node.findIndex(Array.isArray);
      if (inner >= 0) {
        throw new HttpError(
          400,
          'INPUT_INVALID',
          `${name}: ${path}[${inner}] is a list where its shape ${formatShape(shape)} needs a value; nested data must follow the shape exactly`,
        );
      }
      for (const value of node) flat.push(value);
      return;
    }
    for (const [index, item] of node.entries()) walk(item, depth + 1, `${path}[${index}]`);
  };
  walk(data, 0, 'data');
  return flat;
}
