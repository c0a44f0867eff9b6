/**
 * The `ensemble` command end to end, as a user runs it: PyTorch-layout member
 * files are stacked, inspected and predicted in both input modes and every
 * combine mode, and compared with the float64 reference.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  combineMembers,
  float32Tensor,
  int64Tensor,
  loadStackedEnsemble,
  parseManifest,
  randomInput,
  randomMembers,
  readPredictionResult,
  readSafetensors,
  referenceForward,
  toFloat32,
  writeSafetensors,
} from '@ensembles/core';
import { afterAll, describe, expect, it } from 'vitest';
import { ensemble } from './testing/run-ensemble.js';

const dir = mkdtempSync(join(tmpdir(), 'ensemble-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string) => join(dir, name);
/** `ensemble predict` on the test model's manifest and stacked weights, with `input` and more arguments. */
const predict = (input: string, ...args: string[]) =>
  ensemble('predict', '--manifest', file('model.json'), '--weights', file('stacked.safetensors'), '--input', input, ...args);

const manifest = {
  name: 'small-cnn',
  members: 3,
  input: { shape: [1, 6, 6] },
  layers: [
    { op: 'conv2d', name: 'conv', in: 1, out: 2, kernel: 3, padding: 1 },
    { op: 'batchnorm', name: 'bn', features: 2 },
    { op: 'relu' },
    { op: 'maxpool2d', kernel: 2 },
    { op: 'flatten' },
    { op: 'linear', name: 'fc', in: 18, out: 4 },
  ],
};
const architecture = parseManifest(manifest);
writeFileSync(file('model.json'), JSON.stringify(manifest));
const memberPaths = randomMembers(architecture, 11).map((member, m) => {
  const path = file(`member${m}.safetensors`);
  const tensors = [...member].map(([name, data]) => float32Tensor(name, architecture.parameterShapes.get(name) as number[], data));
  writeFileSync(path, writeSafetensors([...tensors, int64Tensor('bn.num_batches_tracked', [], [10])]));
  return path;
});
const shared = randomInput([5, 1, 6, 6], 1);
const perMember = randomInput([3, 5, 1, 6, 6], 2);
writeFileSync(file('shared.safetensors'), writeSafetensors([float32Tensor('input', shared.shape, shared.data)]));
writeFileSync(file('per-member.safetensors'), writeSafetensors([float32Tensor('input', perMember.shape, perMember.data)]));

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    const e = expected[i] as number;
    if (!(Math.abs((actual[i] as number) - e) <= tolerance + tolerance * Math.abs(e))) {
      expect.fail(`element ${i}: ${actual[i]} vs ${e}`);
    }
  }
}

describe('ensemble stack, inspect, predict', () => {
  it('stacks PyTorch-layout member files and inspects the result', async () => {
    const stacked = await ensemble('stack', '--manifest', file('model.json'), '--out', file('stacked.safetensors'), ...memberPaths);
    expect(stacked).toMatchObject({ code: 0, stderr: '' });
    expect(stacked.stdout).toContain('stacked 3 members of small-cnn');
    const inspected = await ensemble('inspect', file('stacked.safetensors'), '--manifest', file('model.json'));
    expect(inspected.code).toBe(0);
    expect(inspected.stdout).toMatch(/conv\.weight\s+F32\s+\[3, 2, 1, 3, 3\]/);
    expect(inspected.stdout).toMatch(/bn\.num_batches_tracked\s+I64\s+\[3\]/);
    expect(inspected.stdout).toContain('matches');
    const member = await ensemble('inspect', memberPaths[0] as string, '--manifest', file('model.json'), '--json');
    expect(JSON.parse(member.stdout).validation).toEqual({ manifest: file('model.json'), as: 'member', problems: [] });
  });

  const stackedEnsemble = () => loadStackedEnsemble(architecture, readSafetensors(readFileSync(file('stacked.safetensors'))).tensors);

  describe.each([
    ['shared', 'shared.safetensors', shared, []],
    ['per-member', 'per-member.safetensors', perMember, ['--per-member']],
  ] as const)('%s input', (mode, inputName, input, flags) => {
    it.each(['none', 'mean', 'mean-softmax', 'vote', 'weighted'] as const)(
      '--combine %s matches the float64 reference',
      async (combine) => {
        const out = file(`out-${mode}-${combine}.safetensors`);
        const weights = combine === 'weighted' ? ['--member-weights', '1,2,5'] : [];
        const result = await predict(file(inputName), ...flags, '--combine', combine, ...weights, '--out', out);
        expect(result).toMatchObject({ code: 0, stderr: '' });
        const tensors = readSafetensors(readFileSync(out)).tensors;
        const reference = referenceForward(stackedEnsemble(), input, mode);
        const members = tensors.get('members');
        expect(members?.dtype).toBe('F32');
        expect(members?.shape).toEqual([3, 5, 4]);
        expectClose(toFloat32(members as never), reference.data, 1e-4);

        const expected = combineMembers(
          { shape: reference.shape, data: Float32Array.from(reference.data) },
          { mode: combine, ...(combine === 'weighted' ? { weights: [1, 2, 5] } : {}) },
        );
        const combined = tensors.get('combined');
        if (expected.kind === 'members') {
          expect(combined).toBeUndefined();
        } else if (expected.kind === 'classes') {
          expect(combined?.dtype).toBe('I64');
          expect(combined?.shape).toEqual([5]);
          const bytes = combined?.bytes as Uint8Array;
          const classes = new BigInt64Array(new Uint8Array(bytes).buffer);
          expect(Array.from(classes, Number)).toEqual(Array.from(expected.classes.data));
        } else {
          expect(combined?.dtype).toBe('F32');
          expect(combined?.shape).toEqual([5, 4]);
          expectClose(toFloat32(combined as never), expected.tensor.data, 1e-4);
        }
      },
    );
  });

  it.each([
    ['shared', 'shared.safetensors', shared, []],
    ['per-member', 'per-member.safetensors', perMember, ['--per-member']],
  ] as const)('--engine tfjs gives the same members for %s input', async (mode, inputName, input, flags) => {
    const out = file(`out-tfjs-${mode}.safetensors`);
    const result = await predict(file(inputName), ...flags, '--engine', 'tfjs', '--backend', 'wasm', '--out', out);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const members = readSafetensors(readFileSync(out)).tensors.get('members');
    expectClose(toFloat32(members as never), referenceForward(stackedEnsemble(), input, mode).data, 1e-4);
  });

  it('prints JSON with --json, with uncertainty when asked', async () => {
    const result = await predict(file('shared.safetensors'), '--combine', 'mean-softmax', '--uncertainty', '--strategy', 'loop', '--json');
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json.members.shape).toEqual([3, 5, 4]);
    expect(json.combined.shape).toEqual([5, 4]);
    // The same names as the REST API's result and the --out file, flat.
    expect(Object.keys(json)).toEqual(['members', 'combined', 'predictiveEntropy', 'expectedEntropy', 'mutualInformation', 'disagreement']);
    expect(json.predictiveEntropy.shape).toEqual([5]);
    const sums = [0, 1, 2, 3, 4].map((b) => json.combined.data.slice(b * 4, b * 4 + 4).reduce((a: number, v: number) => a + v, 0));
    for (const sum of sums) expect(sum).toBeCloseTo(1, 5);
  });

  it('writes the uncertainty tensors with --out under the names every face uses', async () => {
    const out = file('out-uncertainty.safetensors');
    const result = await predict(file('shared.safetensors'), '--combine', 'vote', '--uncertainty', '--strategy', 'loop', '--out', out);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain('wrote members [3, 5, 4], combined [5], predictiveEntropy [5]');
    const { tensors } = readPredictionResult(readFileSync(out));
    expect(Object.keys(tensors)).toEqual([
      'members',
      'combined',
      'predictiveEntropy',
      'expectedEntropy',
      'mutualInformation',
      'disagreement',
    ]);
    expect(tensors.combined?.data).toBeInstanceOf(BigInt64Array);
  });

  it('predicts with the embedded example ensemble when no manifest is given', async () => {
    const result = await ensemble('predict', '--combine', 'vote', '--threads', '1');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('ensemble mnist-mlp: 10 members');
    expect(result.stdout).toContain('member outputs [10, 64, 10]');
    expect(result.stdout).toMatch(/member loop .* largest difference/);
  });
});

describe('user errors: one clear message, non-zero exit, no stack trace', () => {
  const cases: [string, string[], number, RegExp][] = [
    [
      'a missing file',
      ['predict', '--manifest', '/nonexistent/model.json', '--weights', 'w', '--input', 'i'],
      2,
      /cannot read \/nonexistent\/model\.json: no such file/,
    ],
    ['an unknown command', ['train'], 2, /unknown command "train"/],
    ['an unknown flag', ['predict', '--fast'], 2, /Unknown option '--fast'/],
    [
      'a bad combine mode',
      ['predict', '--combine', 'median'],
      2,
      /--combine must be one of none, mean, mean-softmax, vote, weighted; got median/,
    ],
    ['an unknown engine', ['predict', '--engine', 'tpu'], 2, /unknown --engine tpu; available: onnx, tfjs/],
    ['an unknown backend', ['predict', '--engine', 'tfjs', '--backend', 'webgpu'], 2, /unknown TensorFlow.js backend webgpu/],
    [
      'weights for the wrong member count',
      ['predict', '--combine', 'weighted', '--member-weights', '1,2'],
      1,
      /weighted combine needs 10 weights \(one per member\), got 2/,
    ],
    [
      'all-zero member weights',
      ['predict', '--combine', 'weighted', '--member-weights', '0,0,0,0,0,0,0,0,0,0'],
      1,
      /weighted combine weights are all zero; give at least one member a positive weight/,
    ],
  ];
  it.each(cases)('%s', async (_what, args, code, message) => {
    const result = await ensemble(...args);
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('lists every problem of a bad manifest', async () => {
    writeFileSync(
      file('bad.json'),
      JSON.stringify({
        ...manifest,
        layers: [{ op: 'flatten' }, { op: 'linear', name: 'fc', in: 35, out: 4 }, { op: 'softmax', axis: 0 }],
      }),
    );
    const result = await ensemble('stack', '--manifest', file('bad.json'), '--out', file('x.safetensors'), ...memberPaths);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('invalid ensemble manifest (2 problems)');
    expect(result.stderr).toContain('layers[1]: linear expects 35 input features but receives [36]');
    expect(result.stderr).toContain('layers[2]');
  });

  it('names the file and the tensor of a corrupt safetensors file', async () => {
    const good = readFileSync(memberPaths[0] as string);
    writeFileSync(file('truncated.safetensors'), good.subarray(0, good.length - 8));
    const result = await ensemble('inspect', file('truncated.safetensors'));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(file('truncated.safetensors'));
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('names the shapes when the input does not fit', async () => {
    const result = await predict(file('shared.safetensors'), '--per-member');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("input shape [5, 1, 6, 6] does not match the manifest's [3, *, 1, 6, 6]");
  });

  it('says which tensors an input file has when "input" is missing, and exits 1 for the bad file', async () => {
    const result = await predict(memberPaths[0] as string);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/has no tensor named "input" \(it has: .*conv\.weight/);
  });

  it('exits 1 for a manifest that is not JSON, a bad file rather than a bad command line', async () => {
    writeFileSync(file('not-json.json'), '{ "name": "small-cnn", ');
    const result = await ensemble('stack', '--manifest', file('not-json.json'), '--out', file('x.safetensors'), ...memberPaths);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${file('not-json.json')} is not valid JSON`);
  });

  it.each([
    [
      'member0.pt',
      'a PyTorch checkpoint (torch.save\'s zip format, holding "member0/data.pkl")',
      'from safetensors.torch import save_file; save_file(model.state_dict(), "member0.safetensors")',
    ],
    ['member0.onnx', 'an ONNX model', 'members exported to ONNX are imported, not stacked: `ensemble import --out DIR'],
  ])('names a %s given to stack as a member, and what to do instead', async (name, what, fix) => {
    const path = new URL(`../../ensemble-core/fixtures/foreign/${name}`, import.meta.url).pathname;
    const result = await ensemble('stack', '--manifest', file('model.json'), '--out', file('x.safetensors'), path, ...memberPaths.slice(1));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`ensemble: ${path}: ${what}`);
    expect(result.stderr).toContain(fix);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
