/**
 * Checks a manifest on every engine: both input modes, both strategies,
 * compared with the float64 reference (atol 1e-4, rtol 1e-4) and vectorized
 * with loop (the seed's atol 1e-3, rtol 1e-5). For op tests.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { InputMode } from '../engines/engine.js';
import { referenceForward } from '../engines/reference/reference-forward.js';
import { randomArchitectureInput, randomMembers, stackFloat32Members } from '../examples/random-members.js';
import type { ManifestInput } from '../manifest/manifest-schema.js';
import { parseManifest } from '../manifest/parse-manifest.js';
import { testEngines } from './test-engines.js';

export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, rtol: number): void {
  expect(actual.length).toBe(expected.length);
  let worst = { index: -1, excess: 0 };
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i] as number;
    const e = expected[i] as number;
    const excess = Math.abs(a - e) - (atol + rtol * Math.abs(e));
    if (!(excess <= 0) && (worst.index < 0 || excess > worst.excess)) worst = { index: i, excess };
  }
  if (worst.index >= 0) {
    expect.fail(`element ${worst.index}: ${actual[worst.index]} vs ${expected[worst.index]} (atol ${atol}, rtol ${rtol})`);
  }
}

/** Declares one `describe` per engine that runs `manifest` (with its own member count) at B = 1 and 3 in both modes. */
export function describeOnEveryEngine(title: string, manifest: ManifestInput): void {
  describe.each(Object.entries(testEngines))(`${title} on %s`, (_engineName, createEngine) => {
    const engine = createEngine();
    const architecture = parseManifest(manifest);
    const members = architecture.manifest.members;
    const ensemble = stackFloat32Members(architecture, randomMembers(architecture, members));
    const compiled = engine.compile(ensemble);
    afterAll(async () => {
      await (await compiled).dispose();
      await engine.dispose();
    });

    it.each([
      ['shared', 1],
      ['shared', 3],
      ['per-member', 1],
      ['per-member', 3],
    ] as const)('%s input, B=%i: vectorized and loop match the reference', async (mode: InputMode, batch) => {
      const lead = mode === 'shared' ? [batch] : [members, batch];
      const input = randomArchitectureInput(architecture, lead, batch * 31 + members);
      const expected = referenceForward(ensemble, input, mode);
      const vectorized = await (await compiled).run(input, { mode, strategy: 'vectorized' });
      const loop = await (await compiled).run(input, { mode, strategy: 'loop' });
      expect(vectorized.shape).toEqual([members, batch, ...architecture.outputShape]);
      expect(loop.shape).toEqual(vectorized.shape);
      expectClose(vectorized.data, expected.data, 1e-4, 1e-4);
      expectClose(loop.data, expected.data, 1e-4, 1e-4);
      expectClose(vectorized.data, loop.data, 1e-3, 1e-5);
    });
  });
}
