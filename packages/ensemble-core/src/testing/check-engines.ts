/**
 * The op tests' checks. On every engine: both input modes at B = 1 and 3,
 * both strategies, compared with the float64 reference (atol 1e-4, rtol 1e-4),
 * for a manifest at its own member count (where vectorized is also compared
 * with loop, at the seed's atol 1e-3, rtol 1e-5) or for member-less models
 * at several counts. And the problems a manifest is refused with.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { EnsembleEngine } from '../engines/engine.js';
import { referenceForward } from '../engines/reference/reference-forward.js';
import { ManifestError, type ValidationIssue } from '../errors/ensemble-error.js';
import { randomArchitectureInput, randomMembers, stackFloat32Members } from '../examples/random-members.js';
import type { ManifestInput } from '../manifest/manifest-schema.js';
import { parseManifest } from '../manifest/parse-manifest.js';
import { testEngines } from './test-engines.js';

/** A manifest without its member count, run at several. */
export type TestModel = Omit<ManifestInput, 'members'>;

/** The input modes and batch sizes every check runs, in order. */
const modesAndBatches = [
  ['shared', 1],
  ['shared', 3],
  ['per-member', 1],
  ['per-member', 3],
] as const;

/** Fails on the element furthest outside atol + rtol * |expected| (after `what`, where given), or on differing lengths. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, rtol: number, what?: string): void {
  const prefix = what === undefined ? '' : `${what}: `;
  expect(actual.length, `${prefix}length`).toBe(expected.length);
  let worst = { index: -1, excess: 0 };
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i] as number;
    const e = expected[i] as number;
    const excess = Math.abs(a - e) - (atol + rtol * Math.abs(e));
    if (!(excess <= 0) && (worst.index < 0 || excess > worst.excess)) worst = { index: i, excess };
  }
  if (worst.index >= 0) {
    expect.fail(`${prefix}element ${worst.index}: ${actual[worst.index]} vs ${expected[worst.index]} (atol ${atol}, rtol ${rtol})`);
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

    it.each(modesAndBatches)('%s input, B=%i: vectorized and loop match the reference', async (mode, batch) => {
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

/** How `expectModelMatchesReference` runs a model. */
export interface ModelCheck {
  /** The member counts N to run the model at. */
  members: readonly number[];
  /** At N members, the weights come from seed N + weights and the input of batch size B from seed B * input + N; 10 and 31 unless given. */
  seeds?: { weights: number; input: number };
}

/**
 * Runs `model` on `engine` at each member count, in both input modes at
 * B = 1 and 3, vectorized and loop, each against the float64 reference
 * (atol 1e-4, rtol 1e-4).
 */
export async function expectModelMatchesReference(engine: EnsembleEngine, model: TestModel, check: ModelCheck): Promise<void> {
  const seeds = check.seeds ?? { weights: 10, input: 31 };
  for (const members of check.members) {
    const architecture = parseManifest({ ...model, members });
    const ensemble = stackFloat32Members(architecture, randomMembers(architecture, members + seeds.weights));
    const compiled = await engine.compile(ensemble);
    for (const [mode, batch] of modesAndBatches) {
      const lead = mode === 'shared' ? [batch] : [members, batch];
      const input = randomArchitectureInput(architecture, lead, batch * seeds.input + members);
      const expected = referenceForward(ensemble, input, mode);
      for (const strategy of ['vectorized', 'loop'] as const) {
        const actual = await compiled.run(input, { mode, strategy });
        expect(actual.shape).toEqual(expected.shape);
        expectClose(actual.data, expected.data, 1e-4, 1e-4, `N=${members}, ${mode} input, B=${batch}, ${strategy}`);
      }
    }
    await compiled.dispose();
  }
}

/** Declares one `describe` per engine that runs each of `models` (by name) as `expectModelMatchesReference` does. */
export function describeModelsOnEveryEngine(models: Record<string, TestModel>, check: ModelCheck): void {
  describe.each(Object.entries(testEngines))('%s engine', (_engineName, createEngine) => {
    const engine = createEngine();
    afterAll(() => engine.dispose());
    it.each(Object.entries(models))('%s: vectorized and loop match the reference', (_name, model) =>
      expectModelMatchesReference(engine, model, check),
    );
  });
}

/** The issues of the ManifestError `parseManifest` refuses `manifest` with; none where it accepts it. Any other error is thrown. */
export function manifestProblems(manifest: unknown): readonly ValidationIssue[] {
  try {
    parseManifest(manifest);
    return [];
  } catch (error) {
    if (error instanceof ManifestError) return error.issues;
    throw error;
  }
}

/** `manifestProblems` of a one-member manifest that runs `layers` on samples of shape `input`. */
export function layerProblems(input: readonly number[], layers: readonly unknown[]): readonly ValidationIssue[] {
  return manifestProblems({ name: 'p', members: 1, input: { shape: input }, layers });
}
