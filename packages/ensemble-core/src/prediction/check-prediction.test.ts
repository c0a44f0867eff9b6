/**
 * Tests for checkPrediction: each refusal with its error class and message,
 * and that it refuses exactly what the combiners and the uncertainty measures
 * would refuse after the forward pass.
 */

import { describe, expect, it } from 'vitest';
import { CombineError, type EnsembleError, InputError } from '../errors/ensemble-error.js';
import { type EnsembleArchitecture, parseManifest } from '../manifest/parse-manifest.js';
import { tensor } from '../tensor/tensor.js';
import { checkPrediction } from './check-prediction.js';
import type { PredictionRequestOptions } from './prediction-options.js';
import { predictionResult } from './prediction-result.js';

// 3 members, input [6], 4 classes.
const classifier = parseManifest({
  name: 'small',
  members: 3,
  input: { shape: [6] },
  layers: [{ op: 'linear', name: 'fc', in: 6, out: 4 }],
});
// The same ensemble, as if its per-sample output had no class axis.
const scalarOutput: EnsembleArchitecture = { ...classifier, outputShape: [] };

const shared = (batch: number, fill = 0.5) => tensor([batch, 6], new Float32Array(batch * 6).fill(fill));
const options = (overrides: Partial<PredictionRequestOptions> = {}): PredictionRequestOptions => ({
  mode: 'shared',
  combine: 'none',
  uncertainty: false,
  ...overrides,
});

function refusal(check: () => unknown): EnsembleError {
  try {
    check();
  } catch (error) {
    return error as EnsembleError;
  }
  throw new Error('expected the check to throw');
}

describe('checkPrediction: the input', () => {
  it('returns the batch size for a shared and a per-member input', () => {
    expect(checkPrediction(classifier, shared(5), options())).toBe(5);
    const perMember = tensor([3, 2, 6], new Float32Array(36));
    expect(checkPrediction(classifier, perMember, options({ mode: 'per-member' }))).toBe(2);
  });

  it('refuses a shape that does not fit the mode, naming both shapes', () => {
    const error = refusal(() => checkPrediction(classifier, shared(2), options({ mode: 'per-member' })));
    expect(error).toBeInstanceOf(InputError);
    expect(error.code).toBe('INPUT_INVALID');
    expect(error.message).toContain("input shape [2, 6] does not match the manifest's [3, *, 6]");
  });

  it('refuses an unknown input mode', () => {
    const error = refusal(() => checkPrediction(classifier, shared(1), options({ mode: 'all' as never })));
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toBe("unknown input mode 'all'; use one of shared, per-member");
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])('refuses %s, naming its index', (value) => {
    const input = shared(3);
    input.data[13] = value;
    const error = refusal(() => checkPrediction(classifier, input, options()));
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toContain(`input holds ${value} at index 13; values must be finite`);
  });

  it('accepts the largest float32 values and negative zero', () => {
    const input = shared(1);
    input.data.set([3.4028234663852886e38, -3.4028234663852886e38, -0]);
    expect(checkPrediction(classifier, input, options())).toBe(1);
  });
});

describe('checkPrediction: the combine options', () => {
  it.each<[string, Partial<PredictionRequestOptions>, string]>([
    ['an unknown combine mode', { combine: 'median' as never }, "unknown combine mode 'median'"],
    ['weighted without weights', { combine: 'weighted' }, 'weighted combine needs 3 weights (one per member), got none'],
    ['too few weights', { combine: 'weighted', weights: [1] }, 'weighted combine needs 3 weights (one per member), got 1'],
    ['too many weights', { combine: 'weighted', weights: [1, 1, 1, 1] }, 'got 4'],
    ['a negative weight', { combine: 'weighted', weights: [1, -1, 1] }, 'got weights[1] = -1'],
    ['a NaN weight', { combine: 'weighted', weights: [1, 1, Number.NaN] }, 'got weights[2] = NaN'],
    ['an infinite weight', { combine: 'weighted', weights: [Number.POSITIVE_INFINITY, 1, 1] }, 'got weights[0] = Infinity'],
    ['all-zero weights', { combine: 'weighted', weights: [0, 0, 0] }, 'weights are all zero'],
    ['weights for mean', { combine: 'mean', weights: [1, 1, 1] }, "not by 'mean'"],
    ['an empty weight list for none', { combine: 'none', weights: [] }, "not by 'none'"],
  ])('refuses %s', (_what, overrides, message) => {
    const error = refusal(() => checkPrediction(classifier, shared(1), options(overrides)));
    expect(error).toBeInstanceOf(CombineError);
    expect(error.code).toBe('COMBINE_INVALID');
    expect(error.message).toContain(message);
  });

  it('accepts weights with zeros among them', () => {
    expect(checkPrediction(classifier, shared(2), options({ combine: 'weighted', weights: [0, 2, 0] }))).toBe(2);
  });

  it.each<[Partial<PredictionRequestOptions>, string]>([
    [{ combine: 'vote' }, 'the vote combine needs a class axis'],
    [{ combine: 'mean-softmax' }, 'the mean-softmax combine needs a class axis'],
    [{ uncertainty: true }, 'uncertainty needs a class axis'],
    [{ combine: 'vote', uncertainty: true }, 'the vote combine and uncertainty need'],
  ])('refuses %o for an output without a class axis', (overrides, message) => {
    const error = refusal(() => checkPrediction(scalarOutput, shared(1), options(overrides)));
    expect(error).toBeInstanceOf(CombineError);
    expect(error.message).toContain(message);
    expect(error.message).toContain('per-sample output is []');
  });
});

describe('checkPrediction: refuses what the result would refuse, and nothing else', () => {
  const weightChoices = [undefined, [], [1], [1, 2, 3], [0, 0, 0], [0, 0, 1], [1, -1, 1], [1, Number.NaN, 1]];
  const cases = (['none', 'mean', 'mean-softmax', 'vote', 'weighted', 'median'] as const).flatMap((combine) =>
    weightChoices.flatMap((weights) =>
      [false, true].map((uncertainty) => options({ combine: combine as PredictionRequestOptions['combine'], weights, uncertainty })),
    ),
  );

  it.each([
    ['a classifier', classifier],
    ['an output without a class axis', scalarOutput],
  ])('for %s', (_what, architecture) => {
    const batch = 2;
    const { members } = architecture.manifest;
    const outputs = tensor(
      [members, batch, ...architecture.outputShape],
      Float32Array.from({ length: members * batch * (architecture.outputShape[0] ?? 1) }, (_, i) => Math.sin(i)),
    );
    let refused = 0;
    for (const request of cases) {
      const checked = outcome(() => checkPrediction(architecture, shared(batch), request));
      const computed = outcome(() => predictionResult(outputs, request, architecture));
      expect({ request, checked }).toEqual({ request, checked: computed });
      if (checked === 'refused') refused++;
    }
    // The table exercises both outcomes.
    expect(refused).toBeGreaterThan(0);
    expect(refused).toBeLessThan(cases.length);
  });
});

function outcome(run: () => unknown): 'accepted' | 'refused' {
  try {
    run();
    return 'accepted';
  } catch (error) {
    if (error instanceof CombineError) return 'refused';
    throw error;
  }
}
