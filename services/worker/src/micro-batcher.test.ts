import {
  type CompiledEnsemble,
  OnnxEngine,
  parseManifest,
  randomInput,
  randomMembers,
  stackFloat32Members,
  type Tensor,
} from '@ensembles/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MicroBatcher } from './micro-batcher.js';

const architecture = parseManifest({
  name: 'tiny',
  members: 3,
  input: { shape: [4] },
  layers: [{ op: 'linear', name: 'fc', in: 4, out: 2 }],
});
const engine = new OnnxEngine({ threads: 1 });
let compiled: CompiledEnsemble;
beforeAll(async () => {
  compiled = await engine.compile(stackFloat32Members(architecture, randomMembers(architecture, 1)));
});
afterAll(() => engine.dispose());

/** A larger batch may take another GEMM blocking: equal up to float32 rounding. */
function expectClose(actual: Float32Array, expected: Float32Array): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) expect(Math.abs((actual[i] as number) - (expected[i] as number))).toBeLessThan(1e-5);
}

const copy = (input: Tensor): Tensor => ({ shape: input.shape, data: input.data.slice() });

describe('MicroBatcher', () => {
  it('merges requests that arrive while a pass runs, and gives each its own rows back', async () => {
    const batcher = new MicroBatcher();
    const inputs = [1, 2, 3, 4, 5].map((b, i) => randomInput([b, 4], i));
    // The batcher takes its inputs over (their buffers may move to the engine's thread): it gets copies.
    const outputs = await Promise.all(inputs.map((input) => batcher.run('v1', compiled, 'shared', copy(input))));
    // the first request finds the lane idle and runs alone; the rest share the next pass
    expect(outputs.map((o) => o.batchJobs)).toEqual([1, 4, 4, 4, 4]);
    expect(outputs[1]?.batchRows).toBe(2 + 3 + 4 + 5);
    for (const [i, output] of outputs.entries()) {
      const alone = await compiled.run(inputs[i] as Tensor, { mode: 'shared' });
      expect(output.members.shape).toEqual(alone.shape);
      expectClose(output.members.data, alone.data);
    }
  });

  it('splits per-member inputs on their batch axis (axis 1)', async () => {
    const batcher = new MicroBatcher();
    const inputs = [2, 1, 3].map((b, i) => randomInput([3, b, 4], 10 + i));
    const outputs = await Promise.all(inputs.map((input) => batcher.run('v1', compiled, 'per-member', copy(input))));
    for (const [i, output] of outputs.entries()) {
      const alone = await compiled.run(inputs[i] as Tensor, { mode: 'per-member' });
      expect(output.members.shape).toEqual(alone.shape);
      expectClose(output.members.data, alone.data);
    }
  });

  it('keeps each pass within maxRows', async () => {
    const batcher = new MicroBatcher({ maxRows: 4 });
    const outputs = await Promise.all([3, 2, 2, 2].map((b, i) => batcher.run('v1', compiled, 'shared', randomInput([b, 4], i))));
    expect(outputs.map((o) => o.batchRows)).toEqual([3, 4, 4, 2]);
  });

  it('fails a bad request alone, before it joins a batch', async () => {
    const batcher = new MicroBatcher();
    const results = await Promise.allSettled([
      batcher.run('v1', compiled, 'shared', randomInput([2, 4], 1)),
      batcher.run('v1', compiled, 'shared', randomInput([2, 5], 2)),
      batcher.run('v1', compiled, 'shared', randomInput([1, 4], 3)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason.message).toContain("input shape [2, 5] does not match the manifest's [*, 4]");
  });

  it('reports a pass that outlives its timeout as hung, once, and quick passes never', async () => {
    const hung: Array<{ jobs: number; rows: number; ms: number }> = [];
    const batcher = new MicroBatcher({ passTimeoutMs: 50, onPassHung: (pass) => hung.push(pass) });
    await batcher.run('v1', compiled, 'shared', randomInput([2, 4], 1));
    expect(hung).toEqual([]);
    // An engine stuck in a pass: it never answers.
    const stuck: CompiledEnsemble = { ...compiled, run: () => new Promise<Tensor>(() => undefined) };
    void batcher.run('v2', stuck, 'shared', randomInput([3, 4], 2));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(hung).toEqual([{ jobs: 1, rows: 3, ms: 50 }]);
  });
});
