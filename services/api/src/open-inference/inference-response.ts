/**
 * The inference response, from a prediction's stored result: the outputs
 * planned (every result tensor when none were named), each with its
 * datatype and shape, as JSON `data` or as binary data after the JSON header.
 */
import { type Int64Tensor, type ResultTensors, readPredictionResult, resultTensorNames, type Tensor } from '@ensembles/core';
import { HttpError } from '../http-errors.js';
import { tensorToJson } from '../tensor-json.js';
import { binaryBody, littleEndianBytes } from './binary-tensor-data.js';
import type { InferResponse, ResponseOutput } from './inference-schemas.js';
import type { OutputPlan, PlannedOutput } from './output-plan.js';

/** What the route answers: a JSON object, or the binary extension's body and its header's length. */
export type InferAnswer =
  | { readonly kind: 'json'; readonly body: InferResponse }
  | { readonly kind: 'binary'; readonly body: Buffer; readonly headerLength: number };

export interface AnsweredPrediction {
  /** The request's `id`, echoed. */
  readonly id?: string | undefined;
  readonly modelName: string;
  readonly modelVersion: string;
  /** The stored result file (safetensors). */
  readonly resultFile: Buffer;
}

/**
 * @throws HttpError 500 when an output planned is missing from the result (the job computed other options).
 * @example
 * const answer = inferenceResponse({ modelName: 'tiny', modelVersion, resultFile }, plan);
 * if (answer.kind === 'json') reply.send(answer.body);
 */
export function inferenceResponse(prediction: AnsweredPrediction, plan: OutputPlan): InferAnswer {
  const { tensors } = readPredictionResult(prediction.resultFile);
  const planned: readonly PlannedOutput[] =
    plan.outputs ?? resultTensorNames.filter((name) => tensors[name] !== undefined).map((name) => ({ name, binary: plan.binaryByDefault }));
  const outputs: ResponseOutput[] = [];
  const binary: Uint8Array[] = [];
  for (const { name, binary: asBinary } of planned) {
    const tensor: Tensor | Int64Tensor | undefined = (tensors as ResultTensors)[name];
    if (!tensor) throw new HttpError(500, 'RESULT_INCOMPLETE', `the prediction's result lacks the output ${JSON.stringify(name)}`);
    const datatype = tensor.data instanceof BigInt64Array ? 'INT64' : 'FP32';
    if (asBinary) {
      const bytes = littleEndianBytes(tensor.data);
      binary.push(bytes);
      outputs.push({ name, datatype, shape: [...tensor.shape], parameters: { binary_data_size: bytes.length } });
    } else {
      outputs.push({ name, datatype, shape: [...tensor.shape], data: tensorToJson(tensor.shape, tensor.data).data });
    }
  }
  const body: InferResponse = {
    ...(prediction.id === undefined ? {} : { id: prediction.id }),
    model_name: prediction.modelName,
    model_version: prediction.modelVersion,
    outputs,
  };
  if (binary.length === 0) return { kind: 'json', body };
  return { kind: 'binary', ...binaryBody(body, binary) };
}
