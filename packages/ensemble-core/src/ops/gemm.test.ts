import { describe, expect, it } from 'vitest';
import type { ManifestInput } from '../manifest/manifest-schema.js';
import { parseManifest } from '../manifest/parse-manifest.js';
import { describeOnEveryEngine, manifestProblems } from '../testing/check-engines.js';

// An MLP as torch.onnx.export writes nn.Linear: Gemm(x, W, b, transB=1) on the stacked `fc1.weight`
// [out, in]; then alpha and beta with a [1, N] C, a scaled product without C, transA on a per-member
// value with a [M, 1] C, and a Gemm on shared values alone (one Gemm node in shared-input mode).
const mlp: ManifestInput = {
  name: 'gemm-mlp',
  members: 3,
  input: { shape: [6] },
  layers: [
    { op: 'parameter', name: 'fc1.weight', shape: [5, 6] },
    { op: 'parameter', name: 'fc1.bias', shape: [5] },
    { op: 'gemm', name: 'fc1', transB: true, inputs: ['input', 'fc1.weight', 'fc1.bias'] },
    { op: 'relu', name: 'h1' },
    { op: 'parameter', name: 'w2', shape: [5, 4] },
    { op: 'parameter', name: 'c2', shape: [1, 4] },
    { op: 'gemm', name: 'fc2', alpha: 0.5, beta: 2, inputs: ['h1', 'w2', 'c2'] },
    { op: 'parameter', name: 'w3', shape: [3, 4] },
    { op: 'gemm', name: 'fc3', alpha: -1.5, transB: true, inputs: ['fc2', 'w3'] },
    { op: 'parameter', name: 'pt', shape: [2, 3] },
    { op: 'constant', name: 'q', shape: [2, 2], value: [1, -0.5, 0.25, 2] },
    { op: 'constant', name: 'rows', shape: [3, 1], value: [0.1, -0.2, 0.3] },
    { op: 'gemm', name: 'small', transA: true, beta: 0.5, inputs: ['pt', 'q', 'rows'] },
    { op: 'gemm', name: 'fc4', inputs: ['fc3', 'small'] },
    { op: 'constant', name: 'fixed', shape: [2, 6], value: [0.3, -0.1, 0.2, 0.5, -0.4, 0.1, -0.2, 0.6, 0.1, -0.3, 0.2, 0.4] },
    { op: 'constant', name: 'fixed_bias', shape: [2], value: [0.05, -0.05] },
    { op: 'gemm', name: 'direct', alpha: 2, transB: true, inputs: ['input', 'fixed', 'fixed_bias'] },
    { op: 'add', name: 'sum', inputs: ['fc4', 'direct'] },
  ],
};
describeOnEveryEngine('gemm', mlp);

describe('gemm shape rule', () => {
  const problems = (layers: ManifestInput['layers']) => manifestProblems({ name: 'bad', members: 2, input: { shape: [6] }, layers });

  it('refuses mismatched inner dimensions, naming both shapes and the transposes', () => {
    expect(
      problems([
        { op: 'parameter', name: 'w', shape: [5, 6] },
        { op: 'gemm', name: 'fc', inputs: ['input', 'w'] },
      ]),
    ).toEqual([{ path: 'layers[1]', message: 'gemm A [batch, 6] and B [5, 6] do not multiply: inner dimensions 6 and 5 differ' }]);
    expect(
      problems([
        { op: 'parameter', name: 'w', shape: [6, 5] },
        { op: 'gemm', name: 'fc', transB: true, inputs: ['input', 'w'] },
      ]),
    ).toEqual([{ path: 'layers[1]', message: 'gemm A [batch, 6] and B [6, 5] (transB) do not multiply: inner dimensions 6 and 5 differ' }]);
  });

  it('refuses a C that does not broadcast to the result, operands that are not 2-D and a sum over the batch', () => {
    expect(
      problems([
        { op: 'parameter', name: 'w', shape: [6, 5] },
        { op: 'parameter', name: 'c', shape: [4] },
        { op: 'gemm', name: 'fc', inputs: ['input', 'w', 'c'] },
      ]),
    ).toEqual([{ path: 'layers[2]', message: 'gemm C [4] does not broadcast to the result [batch, 5]' }]);
    expect(
      problems([
        { op: 'parameter', name: 'w', shape: [6, 5] },
        { op: 'parameter', name: 'c', shape: [3, 1] },
        { op: 'gemm', name: 'fc', inputs: ['input', 'w', 'c'] },
      ]),
    ).toEqual([{ path: 'layers[2]', message: 'gemm C [3, 1] does not broadcast to the result [batch, 5]' }]);
    expect(
      problems([
        { op: 'parameter', name: 'w', shape: [2, 6, 5] },
        { op: 'gemm', name: 'fc', inputs: ['input', 'w'] },
      ]),
    ).toEqual([{ path: 'layers[1]', message: 'gemm multiplies 2-D A and B, got [batch, 6] and [2, 6, 5]' }]);
    expect(problems([{ op: 'gemm', name: 'gram', transA: true, inputs: ['input', 'input'] }])).toEqual([
      {
        path: 'layers[0]',
        message: 'gemm of A [batch, 6] (transA) and B [batch, 6] would sum over the batch axis; each sample must stay apart',
      },
    ]);
  });

  it('takes two or three inputs', () => {
    expect(problems([{ op: 'gemm', name: 'one', inputs: ['input'] }])).toEqual([
      { path: 'layers[0].inputs', message: 'gemm takes 2 to 3 inputs, got 1' },
    ]);
  });

  it('counts multiply-adds per sample: M * N * K', () => {
    const architecture = parseManifest(mlp);
    // fc1 5*6, fc2 4*5, fc3 3*4, small (no batch: counted once) 3*2*2, fc4 2*3, direct 2*6
    expect(architecture.multiplyAddsPerSample).toBe(5 * 6 + 4 * 5 + 3 * 4 + 3 * 2 * 2 + 2 * 3 + 2 * 6);
  });
});
