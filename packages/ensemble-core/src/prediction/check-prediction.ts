/**
 * The one check of a prediction request against an ensemble, run before any
 * work is queued or computed: the input's shape for its mode, its values, and
 * the combine options. Whatever the combiners or the uncertainty measures
 * would refuse after the forward pass is refused here, so that a request
 * that passes cannot fail later for what it asked.
 */

import { checkCombineWeights, combineModes } from '../combine/combine-members.js';
import { checkInput } from '../engines/check-input.js';
import { inputModes } from '../engines/engine.js';
import { CombineError, InputError } from '../errors/ensemble-error.js';
import type { EnsembleArchitecture } from '../manifest/parse-manifest.js';
import { formatShape, type Tensor } from '../tensor/tensor.js';
import type { PredictionRequestOptions } from './prediction-options.js';

/**
 * Checks a prediction request and returns its batch size B.
 *
 * - `options.mode` is `shared` or `per-member`, and the input's shape fits it
 *   (`[B, ...in]`, or `[N, B, ...in]`) and the manifest.
 * - Every input value is finite (no NaN, no ±Infinity); token ids (an `int64`
 *   input) are integers within the graph's tables.
 * - `options.combine` is a known mode; `weighted` has exactly N weights, each
 *   finite and non-negative, not all zero; no other mode has weights.
 * - `vote`, `mean-softmax` and `uncertainty` need a class axis: a per-sample
 *   output of rank >= 1 with at least one class.
 *
 * @throws InputError (`INPUT_INVALID`) for the mode, the shape or the values.
 * @throws CombineError (`COMBINE_INVALID`) for the combine options and uncertainty.
 *
 * @example
 * ```ts
 * const architecture = parseManifest(manifest); // 3 members, input [6]
 * checkPrediction(architecture, input, { mode: 'shared', combine: 'mean', uncertainty: false }); // → B
 * checkPrediction(architecture, input, { mode: 'shared', combine: 'weighted', weights: [0, 0, 0], uncertainty: false });
 * // throws CombineError: weighted combine weights are all zero; give at least one member a positive weight
 * ```
 */
export function checkPrediction(architecture: EnsembleArchitecture, input: Tensor, options: PredictionRequestOptions): number {
  if (!(inputModes as readonly string[]).includes(options.mode)) {
    throw new InputError(`unknown input mode '${String(options.mode)}'; use one of ${inputModes.join(', ')}`);
  }
  const batch = checkInput(architecture, input, options.mode);
  checkCombine(architecture, options);
  checkFinite(input.data, 'input');
  if (architecture.manifest.input.dtype === 'int64') checkTokenIds(input.data, architecture.maxInputId);
  return batch;
}

/**
 * Token ids (an `int64` input) are integers from 0 to the largest id the
 * graph's tables hold; they travel as float32, exact up to 2^24.
 */
function checkTokenIds(data: Float32Array, maxId: number | undefined): void {
  const limit = Math.min(maxId ?? MAX_EXACT_ID, MAX_EXACT_ID);
  for (let index = 0; index < data.length; index++) {
    const value = data[index] as number;
    if (!Number.isInteger(value) || value < 0 || value > limit) {
      throw new InputError(`input holds ${value} at index ${index}; token ids must be integers from 0 to ${limit}`);
    }
  }
}

/** The largest integer every id up to which float32 holds exactly. */
const MAX_EXACT_ID = 2 ** 24;

/** The combine options and uncertainty, against the ensemble's member count and output shape. */
function checkCombine(architecture: EnsembleArchitecture, options: PredictionRequestOptions): void {
  const { combine, weights } = options;
  if (!(combineModes as readonly string[]).includes(combine)) {
    throw new CombineError(`unknown combine mode '${String(combine)}'; use one of ${combineModes.join(', ')}`);
  }
  checkCombineWeights(combine, weights, architecture.manifest.members);
  // The class-wise combines and the uncertainty measures work on the last axis of each sample's output.
  const needClasses = [
    combine === 'vote' || combine === 'mean-softmax' ? `the ${combine} combine` : '',
    options.uncertainty ? 'uncertainty' : '',
  ].filter(Boolean);
  const { outputShape } = architecture;
  if (needClasses.length > 0 && (outputShape.length === 0 || (outputShape[outputShape.length - 1] ?? 0) < 1)) {
    throw new CombineError(
      `${needClasses.join(' and ')} ${needClasses.length > 1 ? 'need' : 'needs'} a class axis, but this ensemble's per-sample output is ${formatShape(outputShape)}; use combine 'mean' or 'none' without uncertainty`,
    );
  }
}

/** Throws an `InputError` naming the first value of `data` that is NaN or infinite. */
function checkFinite(data: Float32Array, what: string): void {
  // A plain loop: this runs per request on up to millions of values, where a
  // callback per value (findIndex, some) costs milliseconds.
  for (let index = 0; index < data.length; index++) {
    const value = data[index] as number;
    // x - x is 0 for every finite x, NaN for NaN and ±Infinity.
    if (value - value !== 0) {
      throw new InputError(`${what} holds ${value} at index ${index}; values must be finite (replace NaN and ±Infinity before sending)`);
    }
  }
}
