/**
 * The outside check: ensembles saved by PyTorch (`save_file(model.state_dict())`)
 * are stacked here and predicted by every engine, and compared with what the
 * seed's recipe (`stack_module_state` + `vmap(functional_call)`) computed in
 * PyTorch. Fixtures come from `fixtures/pytorch/make_fixtures.py`.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { parseManifest } from '../manifest/parse-manifest.js';
import { readSafetensors, type SafetensorsTensor } from '../safetensors/read-safetensors.js';
import { toFloat32 } from '../safetensors/to-float32.js';
import { stackMembers } from '../stacking/stack-members.js';
import { loadStackedEnsemble } from '../stacking/stacked-ensemble.js';
import { testEngines } from '../testing/test-engines.js';
import type { InputMode } from './engine.js';

const fixtures = ['cnn', 'sequence-f16'];
const fixtureFile = (fixture: string, name: string) => readFileSync(new URL(`../../fixtures/pytorch/${fixture}/${name}`, import.meta.url));
const tensorOf = (fixture: string, file: string, name: string) =>
  readSafetensors(fixtureFile(fixture, file)).tensors.get(name) as SafetensorsTensor;

describe.each(Object.entries(testEngines))('%s engine against PyTorch vmap', (_name, createEngine) => {
  const engine = createEngine();
  afterAll(() => engine.dispose());

  describe.each(fixtures)('%s', (fixture) => {
    const architecture = parseManifest(JSON.parse(fixtureFile(fixture, 'model.json').toString('utf8')));
    const members = [0, 1, 2].map((m) => readSafetensors(fixtureFile(fixture, `member${m}.safetensors`)).tensors);
    const stackedByPyTorch = readSafetensors(fixtureFile(fixture, 'stacked.safetensors')).tensors;

    it('stacks the members exactly as stack_module_state does', () => {
      const stacked = stackMembers(architecture, members);
      for (const tensor of stacked) {
        const theirs = stackedByPyTorch.get(tensor.name);
        expect(theirs?.shape).toEqual(tensor.shape);
        expect(theirs?.dtype).toBe(tensor.dtype);
        expect(Buffer.from(theirs?.bytes ?? []).equals(Buffer.from(tensor.bytes))).toBe(true);
      }
      expect(stacked.map((t) => t.name).sort()).toEqual([...stackedByPyTorch.keys()].sort());
    });

    it.each(['shared', 'per-member'] as InputMode[])('%s input matches vmap within 1e-4', async (mode) => {
      const compiled = await engine.compile(loadStackedEnsemble(architecture, stackedByPyTorch));
      const input = tensorOf(fixture, `input-${mode}.safetensors`, 'input');
      const expected = tensorOf(fixture, 'expected.safetensors', mode);
      for (const strategy of ['vectorized', 'loop'] as const) {
        const output = await compiled.run({ shape: input.shape, data: toFloat32(input) }, { mode, strategy });
        expect(output.shape).toEqual(expected.shape);
        const want = toFloat32(expected);
        const worst = Math.max(...Array.from(output.data, (value, i) => Math.abs(value - (want[i] as number))));
        expect(worst).toBeLessThan(1e-4);
      }
      await compiled.dispose();
    });
  });
});
