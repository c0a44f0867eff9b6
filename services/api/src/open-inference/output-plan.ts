/**
 * What an inference request asks to compute and to answer with: the
 * prediction options (from the request's parameters, and implied by the
 * outputs it names) and the outputs, each as JSON or as binary data.
 *
 * Defaults: without `outputs` (or with an empty list), every tensor the prediction produces is
 * answered (`members`; `combined` unless the combine is `none`; the four
 * uncertainty tensors with `uncertainty`). `combine`, when not given, is
 * `weighted` if weights are given, else `mean` if `combined` is asked for,
 * else `none`; asking for an uncertainty output turns `uncertainty` on.
 * A parameter that contradicts an asked-for output is refused, not overridden.
 */
import { isResultTensorName, type ResultTensorName, resultTensorNames, UNCERTAINTY_TENSORS } from '@ensembles/core';
import type { PredictionOptions } from '@ensembles/protocol';
import { HttpError } from '../http-errors.js';
import type { RequestOutput, RequestParameters } from './inference-schemas.js';

/** One output to answer with. */
export interface PlannedOutput {
  readonly name: ResultTensorName;
  /** Answer it as binary data after the JSON header, not as JSON `data`. */
  readonly binary: boolean;
}

export interface OutputPlan {
  readonly options: PredictionOptions;
  /** The outputs, in the order asked; undefined: every tensor the prediction produces, in the order of `RESULT_TENSORS`. */
  readonly outputs: readonly PlannedOutput[] | undefined;
  /** Whether outputs not named answer as binary data (`binary_data_output`). */
  readonly binaryByDefault: boolean;
}

const UNCERTAINTY: readonly string[] = UNCERTAINTY_TENSORS;

/**
 * @throws HttpError 400 naming the output or parameter: an unknown or repeated
 *   output, weights that are not numbers, a parameter that rules out an output asked for.
 * @example
 * planOutputs({}, [{ name: 'predictiveEntropy' }]).options; // { mode: 'shared', combine: 'none', uncertainty: true }
 * planOutputs({ combine: 'vote' }, [{ name: 'combined' }]).outputs; // [{ name: 'combined', binary: false }]
 */
export function planOutputs(parameters: RequestParameters = {}, outputs?: readonly RequestOutput[]): OutputPlan {
  // An empty list names no output: it asks for the default, as no list does.
  const requested = outputs?.length ? outputs : undefined;
  const names = requested?.map((output) => output.name) ?? [];
  checkOutputNames(names);
  const weights = parseWeights(parameters.weights);
  const wantsCombined = names.includes('combined');
  const wantsUncertainty = names.some((name) => UNCERTAINTY.includes(name));

  const combine = parameters.combine ?? (weights ? 'weighted' : wantsCombined ? 'mean' : 'none');
  if (wantsCombined && combine === 'none') {
    throw new HttpError(
      400,
      'OUTPUT_INVALID',
      'output "combined" needs a combine mode, but parameters.combine is "none"; give mean, mean-softmax, vote or weighted, or leave it out (mean)',
    );
  }
  if (wantsUncertainty && parameters.uncertainty === false) {
    const asked = names.filter((name) => UNCERTAINTY.includes(name)).join('", "');
    throw new HttpError(400, 'OUTPUT_INVALID', `output "${asked}" needs uncertainty, but parameters.uncertainty is false; leave it out`);
  }
  const binaryByDefault = parameters.binary_data_output ?? false;
  return {
    options: {
      mode: parameters.mode ?? 'shared',
      combine,
      ...(weights ? { weights } : {}),
      uncertainty: wantsUncertainty || (parameters.uncertainty ?? false),
    },
    outputs: requested?.map((output) => ({
      name: output.name as ResultTensorName,
      binary: output.parameters?.binary_data ?? binaryByDefault,
    })),
    binaryByDefault,
  };
}

function checkOutputNames(names: readonly string[]): void {
  const unknown = names.filter((name) => !isResultTensorName(name));
  if (unknown.length > 0) {
    throw new HttpError(
      400,
      'OUTPUT_UNKNOWN',
      `${unknown.length > 1 ? 'outputs' : 'output'} ${unknown.map((name) => JSON.stringify(name)).join(', ')} ${unknown.length > 1 ? 'are' : 'is'} not produced by this model; ask for ${resultTensorNames.join(', ')}`,
    );
  }
  const repeated = names.find((name, index) => names.indexOf(name) !== index);
  if (repeated !== undefined) throw new HttpError(400, 'OUTPUT_INVALID', `output ${JSON.stringify(repeated)} is asked for twice`);
}

/** Weights as a list, or as the same written `"1,2,3"` (parameter values are strings, numbers or booleans). */
function parseWeights(weights: RequestParameters['weights']): number[] | undefined {
  if (weights === undefined || Array.isArray(weights)) return weights;
  const parts = weights.split(',').map((part) => part.trim());
  const values = parts.map(Number);
  const bad = parts.findIndex((part, index) => part === '' || !(Number.isFinite(values[index]) && (values[index] as number) >= 0));
  if (bad >= 0) {
    throw new HttpError(
      400,
      'PARAMETER_INVALID',
      `parameters.weights: ${JSON.stringify(parts[bad])} (weight ${bad}) is not a non-negative number; give one weight per member, e.g. "1,2,1"`,
    );
  }
  return values;
}
