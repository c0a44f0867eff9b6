/**
 * Combining deep-ensemble member outputs `[N, B, ...out]` into one prediction,
 * and measuring the ensemble's uncertainty.
 */

export type { ClassIndices, CombinedOutput, CombineMode, CombineOptions } from './combine-members.js';
export { combineMembers, combineModes } from './combine-members.js';
export type { EnsembleUncertainty, UncertaintyOptions } from './uncertainty.js';
export { ensembleUncertainty } from './uncertainty.js';
