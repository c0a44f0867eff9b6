import { describe, expect, it } from 'vitest';
import { MembersMismatchError, ParametersError, type ValidationError } from '../errors/ensemble-error.js';
import { randomMembers } from '../examples/random-members.js';
import { parseManifest } from '../manifest/parse-manifest.js';
import { readSafetensors } from '../safetensors/read-safetensors.js';
import { float32Tensor, int64Tensor, type TensorToWrite, writeSafetensors } from '../safetensors/write-safetensors.js';
import { testModels } from '../testing/test-models.js';
import { stackMembers, unstackMembers } from './stack-members.js';
import { loadStackedEnsemble } from './stacked-ensemble.js';

const architecture = parseManifest({ ...testModels.cnn, members: 3 });

/** Member files as PyTorch writes them: every parameter plus `num_batches_tracked` (I64). */
function memberFiles(): Uint8Array[] {
  return randomMembers(architecture, 7).map((member) =>
    writeSafetensors([
      ...[...member].map(([name, data]) => float32Tensor(name, architecture.parameterShapes.get(name) as number[], data)),
      int64Tensor('bn1.num_batches_tracked', [], [1200]),
    ]),
  );
}

function issuesOf(fn: () => unknown, type: typeof ParametersError | typeof MembersMismatchError): string[] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(type);
    return (error as ValidationError).issues.map((issue) => `${issue.path}: ${issue.message}`);
  }
  throw new Error('expected an error');
}

describe('stackMembers / unstackMembers', () => {
  it('stacks along a new leading member axis and round-trips every member bit for bit', () => {
    const files = memberFiles();
    const stacked = stackMembers(
      architecture,
      files.map((bytes) => readSafetensors(bytes).tensors),
    );
    const shapes = Object.fromEntries(stacked.map((t) => [t.name, t.shape]));
    expect(shapes['conv1.weight']).toEqual([3, 3, 1, 3, 3]);
    expect(shapes['bn1.num_batches_tracked']).toEqual([3]);
    expect(shapes['fc.bias']).toEqual([3, 3]);

    const stackedFile = writeSafetensors(stacked);
    const members = unstackMembers(architecture, readSafetensors(stackedFile).tensors);
    expect(members).toHaveLength(3);
    for (const [m, member] of members.entries()) {
      expect(Buffer.from(writeSafetensors(member)).equals(Buffer.from(files[m] as Uint8Array))).toBe(true);
    }
    // and the stacked file itself is reproduced exactly
    const again = stackMembers(
      architecture,
      members.map((member) => readSafetensors(writeSafetensors(member)).tensors),
    );
    expect(Buffer.from(writeSafetensors(again)).equals(Buffer.from(stackedFile))).toBe(true);
  });

  it('keeps half-precision members as they are and converts them to float32 only on load', () => {
    const f16 = (name: string, shape: number[]): TensorToWrite => {
      const count = shape.reduce((a, b) => a * b, 1);
      const bytes = new Uint8Array(count * 2);
      for (let i = 0; i < count; i++) bytes.set([0x00, 0x3c], i * 2); // 1.0 in IEEE half precision
      return { name, dtype: 'F16', shape, bytes };
    };
    const mlp = parseManifest({ name: 'half', members: 2, input: { shape: [2] }, layers: [{ op: 'linear', name: 'fc', in: 2, out: 2 }] });
    const member = () => readSafetensors(writeSafetensors([f16('fc.weight', [2, 2]), f16('fc.bias', [2])])).tensors;
    const stacked = readSafetensors(writeSafetensors(stackMembers(mlp, [member(), member()]))).tensors;
    expect(stacked.get('fc.weight')?.dtype).toBe('F16');
    const loaded = loadStackedEnsemble(mlp, stacked);
    expect(Array.from(loaded.parameters.get('fc.weight') ?? [])).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
  });

  it('refuses a member count other than the manifest declares', () => {
    const files = memberFiles().slice(0, 2);
    expect(
      issuesOf(
        () =>
          stackMembers(
            architecture,
            files.map((b) => readSafetensors(b).tensors),
          ),
        MembersMismatchError,
      ),
    ).toEqual(['members: the manifest declares 3 members but 2 were given']);
  });

  it('lists every way a member does not match the manifest', () => {
    const [first, second, third] = memberFiles().map((bytes) => new Map(readSafetensors(bytes).tensors));
    second?.delete('conv1.bias');
    const weight = third?.get('fc.weight');
    if (!weight || !third) throw new Error('fixture');
    third.set('fc.weight', { ...weight, shape: [4, 3] });
    third.set('fc.extra', { ...weight, name: 'fc.extra' });
    expect(issuesOf(() => stackMembers(architecture, [first, second, third] as Map<string, never>[]), ParametersError)).toEqual([
      'member 1: conv1.bias: missing (expected [3])',
      'member 2: fc.weight: has shape [4, 3], expected [3, 4]',
      'member 2: fc.extra: is not a parameter of any layer in the manifest',
    ]);
  });

  it('refuses members that disagree with each other on dtype or optional buffers', () => {
    const [first, second, third] = memberFiles().map((bytes) => new Map(readSafetensors(bytes).tensors));
    second?.delete('bn1.num_batches_tracked');
    const bias = third?.get('fc.bias');
    if (!bias || !third) throw new Error('fixture');
    third.set('fc.bias', { ...bias, dtype: 'F16', bytes: bias.bytes.subarray(0, 6) });
    expect(issuesOf(() => stackMembers(architecture, [first, second, third] as Map<string, never>[]), MembersMismatchError)).toEqual([
      'member 1: bn1.num_batches_tracked: missing here but present in member 0',
      'member 2: fc.bias: has dtype F16 but member 0 has F32',
    ]);
  });

  it('refuses to load a single member file as stacked parameters, naming the shapes', () => {
    const [file] = memberFiles();
    const issues = issuesOf(() => loadStackedEnsemble(architecture, readSafetensors(file as Uint8Array).tensors), ParametersError);
    expect(issues).toContain('conv1.weight: has shape [3, 1, 3, 3], expected [3, 3, 1, 3, 3]');
  });

  it('refuses integer tensors where parameters belong', () => {
    const mlp = parseManifest({
      name: 'ints',
      members: 1,
      input: { shape: [1] },
      layers: [{ op: 'linear', name: 'fc', in: 1, out: 1, bias: false }],
    });
    const stacked = readSafetensors(writeSafetensors([int64Tensor('fc.weight', [1, 1, 1], [3])])).tensors;
    expect(issuesOf(() => loadStackedEnsemble(mlp, stacked), ParametersError)).toEqual([
      'fc.weight: has dtype I64; parameters must be F32, F16, BF16 or F64',
    ]);
  });
});
