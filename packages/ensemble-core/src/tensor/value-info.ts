/**
 * What a graph manifest knows of a value before any data flows: its
 * per-member shape, with a symbolic batch (see `symbolic-shape.ts`), and its
 * element type. Token ids are `int64`; everything else is `float32`.
 */
import type { SymbolicShape } from './symbolic-shape.js';

export const valueDtypes = ['float32', 'int64'] as const;
export type ValueDtype = (typeof valueDtypes)[number];

export interface ValueInfo {
  readonly shape: SymbolicShape;
  readonly dtype: ValueDtype;
}
