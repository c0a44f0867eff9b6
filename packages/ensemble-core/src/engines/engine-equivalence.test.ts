/**
 * One suite for every engine: each test model, both input modes, both
 * strategies, N ∈ {1, 2, 7}, B ∈ {1, 5}, compared with the float64 reference
 * (atol 1e-4, rtol 1e-4) and vectorized with loop (the seed's atol 1e-3, rtol 1e-5).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { randomInput, randomMembers, stackFloat32Members } from '../examples/random-members.js';
import { parseManifest } from '../manifest/parse-manifest.js';
import type { Tensor } from '../tensor/tensor.js';
import { expectClose } from '../testing/check-engines.js';
import { testEngines } from '../testing/test-engines.js';
import { testModels } from '../testing/test-models.js';
import type { InputMode } from './engine.js';
import { referenceForward } from './reference/reference-forward.js';

describe.each(Object.entries(testEngines))('%s engine', (_engineName, createEngine) => {
  const engine = createEngine();
  afterAll(() => engine.dispose());

  describe.each(Object.entries(testModels))('%s', (_modelName, model) => {
    describe.each([1, 2, 7])('N=%i', (members) => {
      const architecture = parseManifest({ ...model, members });
      const ensemble = stackFloat32Members(architecture, randomMembers(architecture, members));
      const compiled = engine.compile(ensemble);
      afterAll(async () => (await compiled).dispose());

      it.each([
        ['shared', 1],
        ['shared', 5],
        ['per-member', 1],
        ['per-member', 5],
      ] as const)('%s input, B=%i: vectorized and loop match the reference', async (mode: InputMode, batch) => {
        const lead = mode === 'shared' ? [batch] : [members, batch];
        const input: Tensor = randomInput([...lead, ...architecture.manifest.input.shape], batch * 31 + members);
        const expected = referenceForward(ensemble, input, mode);
        const vectorized = await (await compiled).run(input, { mode, strategy: 'vectorized' });
        const loop = await (await compiled).run(input, { mode, strategy: 'loop' });
        expect(vectorized.shape).toEqual([members, batch, ...architecture.outputShape]);
        expect(loop.shape).toEqual(vectorized.shape);
        expect(expected.shape).toEqual(vectorized.shape);
        expectClose(vectorized.data, expected.data, 1e-4, 1e-4);
        expectClose(loop.data, expected.data, 1e-4, 1e-4);
        expectClose(vectorized.data, loop.data, 1e-3, 1e-5);
      });
    });
  });
});
