/**
 * ONNX members exported from PyTorch (both exporters, `fixtures/onnx/`,
 * written by `fixtures/onnx/make_fixtures.py`) imported as one manifest plus
 * stacked parameters, then run by the float64 reference and by every engine,
 * vectorized and member by member, and compared with what PyTorch computed
 * (`stack_module_state` + `vmap(functional_call)` in float64) within 1e-4.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import type { CompiledEnsemble, InputMode } from '../engines/engine.js';
import { referenceForward } from '../engines/reference/reference-forward.js';
import { parseManifest } from '../manifest/parse-manifest.js';
import { readSafetensors, type SafetensorsTensor } from '../safetensors/read-safetensors.js';
import { toFloat32 } from '../safetensors/to-float32.js';
import { assertStackedParameters, type StackedEnsemble } from '../stacking/stacked-ensemble.js';
import type { Tensor } from '../tensor/tensor.js';
import { testEngines } from '../testing/test-engines.js';
import { importOnnxMembers } from './import-onnx.js';

const fixtures = ['resnet', 'mobilenet', 'resmlp', 'transformer-prenorm', 'transformer-postnorm'];
const exporters = ['dynamo', 'torchscript'];
const modes: InputMode[] = ['shared', 'per-member'];
const TOLERANCE = 1e-4;

const fixtureFile = (fixture: string, name: string) => readFileSync(new URL(`../../fixtures/onnx/${fixture}/${name}`, import.meta.url));
const tensorOf = (fixture: string, file: string, key: string) =>
  readSafetensors(fixtureFile(fixture, file)).tensors.get(key) as SafetensorsTensor;
const asTensor = (tensor: SafetensorsTensor): Tensor => ({ shape: tensor.shape, data: toFloat32(tensor) });

function imported(fixture: string, exporter: string): StackedEnsemble {
  const files = [0, 1, 2].map((m) => ({ name: `member${m}.${exporter}.onnx`, bytes: fixtureFile(fixture, `member${m}.${exporter}.onnx`) }));
  const { manifest, parameters } = importOnnxMembers(files, { name: `${fixture}-${exporter}` });
  const architecture = parseManifest(manifest);
  assertStackedParameters(
    architecture,
    new Map([...parameters].map(([name, data]) => [name, { dtype: 'F32', shape: shapeOf(architecture, name, data) }])),
  );
  return { architecture, parameters };
}

/** A stacked parameter's shape, `[N, ...]`, as its length says (checked against the manifest's). */
function shapeOf(architecture: StackedEnsemble['architecture'], name: string, data: Float32Array): number[] {
  const shape = architecture.parameterShapes.get(name) ?? [data.length];
  const n = architecture.manifest.members;
  return data.length === n * shape.reduce((a, b) => a * b, 1) ? [n, ...shape] : [data.length];
}

/** The largest absolute difference, with where it is (NaN counts as a difference). */
function worstDifference(actual: ArrayLike<number>, expected: ArrayLike<number>): { value: number; index: number } {
  let worst = { value: 0, index: -1 };
  for (let i = 0; i < expected.length; i++) {
    const diff = Math.abs((actual[i] as number) - (expected[i] as number));
    if (!(diff <= worst.value)) worst = { value: Number.isNaN(diff) ? Number.POSITIVE_INFINITY : diff, index: i };
  }
  return worst;
}

function expectClose(actual: Tensor | { shape: readonly number[]; data: ArrayLike<number> }, expected: SafetensorsTensor): void {
  expect(actual.shape).toEqual(expected.shape);
  const worst = worstDifference(actual.data, toFloat32(expected));
  expect(worst.value, `largest difference at element ${worst.index}`).toBeLessThan(TOLERANCE);
}

const cases = fixtures.flatMap((fixture) => exporters.map((exporter) => [fixture, exporter] as const));
const ensembles = new Map<string, StackedEnsemble>();
const ensembleOf = (fixture: string, exporter: string): StackedEnsemble => {
  const key = `${fixture}/${exporter}`;
  const known = ensembles.get(key) ?? imported(fixture, exporter);
  ensembles.set(key, known);
  return known;
};

describe.each(cases)('%s, %s export', (fixture, exporter) => {
  it('imports as a manifest that parses, with every parameter stacked [3, ...]', () => {
    expect(ensembleOf(fixture, exporter).architecture.manifest.members).toBe(3);
  });

  it.each(modes)('the reference forward matches PyTorch within 1e-4 (%s input)', (mode) => {
    const input = asTensor(tensorOf(fixture, `input-${mode}.safetensors`, 'input'));
    expectClose(referenceForward(ensembleOf(fixture, exporter), input, mode), tensorOf(fixture, 'expected.safetensors', mode));
  });
});

describe.each(Object.entries(testEngines))('%s engine', (_engine, createEngine) => {
  const engine = createEngine();
  afterAll(() => engine.dispose());

  describe.each(cases)('%s, %s export', (fixture, exporter) => {
    let compiled: Promise<CompiledEnsemble> | undefined;
    afterAll(async () => (await compiled?.catch(() => undefined))?.dispose());

    it.each(modes)('vectorized and loop match PyTorch within 1e-4 (%s input)', async (mode) => {
      compiled ??= engine.compile(ensembleOf(fixture, exporter));
      const model = await compiled;
      const input = asTensor(tensorOf(fixture, `input-${mode}.safetensors`, 'input'));
      const expected = tensorOf(fixture, 'expected.safetensors', mode);
      for (const strategy of ['vectorized', 'loop'] as const) {
        const output = await model.run({ shape: input.shape, data: input.data.slice() }, { mode, strategy });
        expectClose(output, expected);
      }
    });
  });
});
