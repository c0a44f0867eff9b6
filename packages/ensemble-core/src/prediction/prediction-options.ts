/**
 * What a caller chooses for one prediction, as the library sees it: the
 * minimal structural type that the job schema's options (`@ensembles/jobs`),
 * the CLI's flags and any other face fill in. Kept structural so that this
 * package never depends on the packages that build on it.
 */

import type { CombineMode } from '../combine/combine-members.js';
import type { InputMode } from '../engines/engine.js';

export interface PredictionRequestOptions {
  /** `shared`: input `[B, ...in]` for every member; `per-member`: `[N, B, ...in]`. */
  readonly mode: InputMode;
  /** How member outputs are combined into one prediction (`none`: members only). */
  readonly combine: CombineMode;
  /** Member weights for `combine: 'weighted'`: one per member, finite, non-negative, not all zero. */
  readonly weights?: readonly number[] | undefined;
  /** Add the four uncertainty tensors (classifiers: the output needs a class axis). */
  readonly uncertainty: boolean;
}
