/**
 * The request's inputs as the one float32 tensor a model takes: named
 * `input`, its values given as JSON `data` (flat or nested) or as binary
 * data after the JSON header, in any numeric datatype float32 holds exactly.
 */
import type { Tensor } from '@ensembles/core';
import { HttpError } from '../http-errors.js';
import type { BinaryTensorData } from './binary-tensor-data.js';
import { float32FromBinary, float32FromJson, numericDatatype } from './datatypes.js';
import type { RequestInput } from './inference-schemas.js';
import { INPUT_NAME } from './model-metadata.js';
import { flatTensorData } from './tensor-data.js';

/**
 * @param binary The binary tensor data after the JSON header, when the request has one.
 * @throws HttpError 400 naming the input: not one input named `input`, no data or both
 *   kinds, a datatype or values float32 cannot hold, data that does not fit the shape.
 * @example
 * inputTensor([{ name: 'input', shape: [1, 3], datatype: 'INT32', data: [[1, 2, 3]] }], undefined);
 * // → { shape: [1, 3], data: Float32Array [1, 2, 3] }
 */
export function inputTensor(inputs: readonly RequestInput[], binary: BinaryTensorData | undefined): Tensor {
  const [input] = inputs;
  if (inputs.length !== 1 || input?.name !== INPUT_NAME) {
    const given = inputs.map((i) => JSON.stringify(i.name)).join(', ');
    throw new HttpError(400, 'INPUT_INVALID', `the model takes one input, "${INPUT_NAME}" (see its metadata); got ${given}`);
  }
  const { name, shape, parameters, data } = input;
  const datatype = numericDatatype(name, input.datatype);
  const size = parameters?.binary_data_size;
  let values: Float32Array;
  if (size !== undefined) {
    if (data !== undefined) {
      throw new HttpError(400, 'INPUT_INVALID', `input "${name}" gives both data and parameters.binary_data_size; give one`);
    }
    if (!binary) {
      throw new HttpError(
        400,
        'BINARY_DATA_INVALID',
        `input "${name}" gives parameters.binary_data_size, but the request has no binary data: send the JSON header's length as Inference-Header-Content-Length`,
      );
    }
    values = float32FromBinary(name, datatype, binary.take(name, shape, datatype, size));
  } else if (data !== undefined) {
    values = float32FromJson(name, datatype, flatTensorData(name, shape, data));
  } else {
    throw new HttpError(
      400,
      'INPUT_INVALID',
      `input "${name}" has no data: give data, or parameters.binary_data_size with the values after the JSON header`,
    );
  }
  binary?.finish();
  return { shape, data: values };
}
