/**
 * Per-sample uncertainty of a deep-ensemble classifier, from its stacked member
 * outputs `[N, B, ..., C]`: the entropy decomposition of the averaged
 * prediction (total = expected member entropy + mutual information) and how
 * often members disagree with the ensemble's class. Entropies are in nats.
 */

import type { Tensor } from '../tensor/tensor.js';
import { argmaxRow, classLayout, probabilitiesRow } from './member-layout.js';

export interface EnsembleUncertainty {
  /** Entropy (nats) of the averaged member probabilities, per sample: [B, ...out without last axis]. */
  predictiveEntropy: Tensor;
  /** Average over members of each member's entropy. */
  expectedEntropy: Tensor;
  /** predictiveEntropy − expectedEntropy (mutual information, >= 0 up to rounding). */
  mutualInformation: Tensor;
  /** Share of members whose argmax differs from the argmax of the averaged probabilities (0..1). */
  disagreement: Tensor;
}

export interface UncertaintyOptions {
  /** True when member outputs are already probabilities (no softmax is applied). @defaultValue false */
  outputsAreProbabilities?: boolean;
}

/**
 * Measures how uncertain an ensemble of classifiers is, per sample. Each
 * member's probabilities are the softmax of its last axis (or its outputs as
 * they are, with `outputsAreProbabilities`); `0 · log 0` counts as 0.
 *
 * - `predictiveEntropy` = H(mean of member probabilities): total uncertainty.
 * - `expectedEntropy` = mean of H(member probabilities): what members are unsure of on their own.
 * - `mutualInformation` = the difference (clamped at 0): what comes from members disagreeing.
 * - `disagreement` = share of members whose argmax is not the ensemble's argmax
 *   (first index on ties, for both).
 *
 * All four have shape `[B, ...out without last axis]`.
 *
 * @throws CombineError when `members` is not `[N, B, ..., C]` with rank >= 3,
 *   N >= 1 and C >= 1, or its data does not match its shape.
 *
 * @example
 * ```ts
 * // 2 members, batch of 1, 2 classes; each member is sure, of a different class
 * const members = tensor([2, 1, 2], new Float32Array([1, 0, 0, 1]));
 * const u = ensembleUncertainty(members, { outputsAreProbabilities: true });
 * // u.predictiveEntropy.data → [ln 2 ≈ 0.693], u.expectedEntropy.data → [0],
 * // u.mutualInformation.data → [0.693], u.disagreement.data → [0.5]
 * ```
 */
export function ensembleUncertainty(members: Tensor, options: UncertaintyOptions = {}): EnsembleUncertainty {
  const { members: n, perMember, classes, rows, rowShape } = classLayout(members, 'ensemble uncertainty');
  const { data } = members;
  const asIs = options.outputsAreProbabilities ?? false;

  const predictive = new Float32Array(rows);
  const expected = new Float32Array(rows);
  const mutual = new Float32Array(rows);
  const disagreement = new Float32Array(rows);

  const probs = new Float64Array(classes);
  const mean = new Float64Array(classes);
  const memberClass = new Int32Array(n);

  for (let r = 0; r < rows; r++) {
    mean.fill(0);
    let entropySum = 0;
    for (let i = 0; i < n; i++) {
      const offset = i * perMember + r * classes;
      memberClass[i] = argmaxRow(data, offset, classes);
      probabilitiesRow(data, offset, classes, asIs, probs);
      entropySum += entropy(probs, classes);
      for (let j = 0; j < classes; j++) mean[j] = (mean[j] as number) + (probs[j] as number);
    }
    for (let j = 0; j < classes; j++) mean[j] = (mean[j] as number) / n;

    const total = entropy(mean, classes);
    const aleatoric = entropySum / n;
    const ensembleClass = argmaxRow(mean, 0, classes);
    let differing = 0;
    for (let i = 0; i < n; i++) if (memberClass[i] !== ensembleClass) differing++;

    predictive[r] = total;
    expected[r] = aleatoric;
    mutual[r] = Math.max(0, total - aleatoric);
    disagreement[r] = differing / n;
  }

  return {
    predictiveEntropy: { shape: [...rowShape], data: predictive },
    expectedEntropy: { shape: [...rowShape], data: expected },
    mutualInformation: { shape: [...rowShape], data: mutual },
    disagreement: { shape: rowShape, data: disagreement },
  };
}

/** Entropy in nats of `p[0 .. length)`, with `0 · log 0 = 0`. */
function entropy(p: Float64Array, length: number): number {
  let h = 0;
  for (let j = 0; j < length; j++) {
    const v = p[j] as number;
    if (v !== 0) h -= v * Math.log(v); // NaN and negative inputs stay visible as NaN
  }
  return h;
}
