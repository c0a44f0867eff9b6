/**
 * Tests for readPredictionResult: results read back as written, and files
 * that are no prediction's result refused with RESULT_INVALID.
 */

import { describe, expect, it } from 'vitest';
import { type EnsembleError, PredictionResultError, SafetensorsError } from '../errors/ensemble-error.js';
import { float32Tensor, int64Tensor, type TensorToWrite, writeSafetensors } from '../safetensors/write-safetensors.js';
import { tensor } from '../tensor/tensor.js';
import { predictionResult } from './prediction-result.js';
import { readPredictionResult } from './read-prediction-result.js';

const members = tensor([2, 3, 2], Float32Array.from([0.9, 0.1, 0.2, 0.8, 0.5, 0.5, 0.6, 0.4, 0.3, 0.7, Number.NaN, 1]));
const asIs = { outputsAreProbabilities: true };
const membersTensor = float32Tensor('members', members.shape, members.data);

function refusal(bytes: Uint8Array): EnsembleError {
  try {
    readPredictionResult(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(PredictionResultError);
    expect((error as EnsembleError).code).toBe('RESULT_INVALID');
    return error as EnsembleError;
  }
  throw new Error('expected the result to be refused');
}

describe('readPredictionResult', () => {
  it('reads back every tensor of a result with its shape, values and metadata', () => {
    const written = predictionResult(members, { combine: 'mean', uncertainty: true }, asIs);
    const { tensors, metadata } = readPredictionResult(writeSafetensors(written, { job: '{"id":1}' }));
    expect(Object.keys(tensors)).toEqual(written.map((t) => t.name));
    expect(tensors.members.shape).toEqual([2, 3, 2]);
    expect(tensors.members.data).toEqual(members.data);
    expect(tensors.combined?.shape).toEqual([3, 2]);
    expect(Array.from(tensors.combined?.data as Float32Array)).toEqual(
      Array.from(Float32Array.from([0.75, 0.25, 0.25, 0.75, Number.NaN, 0.75])),
    );
    expect(tensors.predictiveEntropy?.shape).toEqual([3]);
    expect(tensors.disagreement?.data).toBeInstanceOf(Float32Array);
    expect(metadata).toEqual({ job: '{"id":1}' });
  });

  it('reads vote classes as a BigInt64Array', () => {
    const { tensors } = readPredictionResult(writeSafetensors(predictionResult(members, { combine: 'vote', uncertainty: false }, asIs)));
    expect(tensors.combined?.data).toBeInstanceOf(BigInt64Array);
    // Row 2 is a 1–1 tie (member 0 votes 0, member 1 votes 1), which goes to class 0.
    expect(Array.from((tensors.combined?.data ?? []) as BigInt64Array)).toEqual([0n, 1n, 0n]);
  });

  it('reads a result held in a Node Buffer that shares its memory with others', () => {
    const file = writeSafetensors(predictionResult(members, { combine: 'vote', uncertainty: false }, asIs));
    // Small Buffers are carved out of one shared pool, at an offset.
    const bytes = Buffer.from(file);
    expect(bytes.byteOffset === 0 && bytes.buffer.byteLength === bytes.length).toBe(false);
    const { tensors } = readPredictionResult(bytes);
    expect(Array.from((tensors.combined?.data ?? []) as BigInt64Array)).toEqual([0n, 1n, 0n]);
    expect(tensors.members.data).toEqual(members.data);
  });

  it('reads a result without combined or uncertainty, with no metadata', () => {
    const { tensors, metadata } = readPredictionResult(writeSafetensors([membersTensor]));
    expect(Object.keys(tensors)).toEqual(['members']);
    expect(metadata).toEqual({});
  });

  it.each<[string, TensorToWrite, string]>([
    [
      'an unknown tensor name',
      float32Tensor('predictive_entropy', [3], new Float32Array(3)),
      'unknown tensor "predictive_entropy"; a result holds only members, combined, predictiveEntropy',
    ],
    ['members of another dtype', int64Tensor('members', [2], [1, 2]), 'tensor "members" is I64, but a result stores it as F32'],
    [
      'combined of another dtype',
      { name: 'combined', dtype: 'I32', shape: [3], bytes: new Uint8Array(12) },
      'tensor "combined" is I32, but a result stores it as F32 or I64',
    ],
    ['an uncertainty tensor as I64', int64Tensor('disagreement', [3], [0, 0, 0]), 'tensor "disagreement" is I64'],
  ])('refuses %s', (_what, extra, message) => {
    const others = extra.name === 'members' ? [] : [membersTensor];
    expect(refusal(writeSafetensors([...others, extra])).message).toContain(message);
  });

  it('refuses a file without members', () => {
    const bytes = writeSafetensors([float32Tensor('combined', [3, 2], new Float32Array(6))]);
    expect(refusal(bytes).message).toContain('no "members" tensor');
  });

  it('refuses bytes that are no safetensors file, keeping the cause', () => {
    const error = refusal(new Uint8Array([1, 2, 3]));
    expect(error.message).toContain('prediction result: file is 3 bytes');
    expect(error.cause).toBeInstanceOf(SafetensorsError);
  });
});
