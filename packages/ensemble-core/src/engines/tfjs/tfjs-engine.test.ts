import { describe, expect, it } from 'vitest';
import { randomInput, randomMembers, stackFloat32Members } from '../../examples/random-members.js';
import { parseManifest } from '../../manifest/parse-manifest.js';
import { testModels } from '../../testing/test-models.js';
import { availableTfjsBackends } from './tfjs-backends.js';
import { TfjsEngine } from './tfjs-engine.js';

describe('TfjsEngine', () => {
  it('chooses the fastest installed backend unless told otherwise, and reports it', async () => {
    const available = await availableTfjsBackends();
    expect(available).toEqual(expect.arrayContaining(['wasm', 'cpu']));
    const auto = new TfjsEngine();
    expect(await auto.backend()).toBe(available[0]);
    await auto.dispose();
    const cpu = new TfjsEngine({ backend: 'cpu' });
    expect(await cpu.backend()).toBe('cpu');
    await cpu.dispose();
  });

  it('refuses unknown backends, and names the package a missing one needs', async () => {
    expect(() => new TfjsEngine({ backend: 'webgpu' })).toThrow(
      'unknown TensorFlow.js backend webgpu; one of auto, tensorflow-gpu, tensorflow, wasm, cpu',
    );
    const available = await availableTfjsBackends();
    if (!available.includes('tensorflow-gpu')) {
      const gpu = new TfjsEngine({ backend: 'tensorflow-gpu' });
      await expect(gpu.backend()).rejects.toThrow('npm install @tensorflow/tfjs-node-gpu');
      await gpu.dispose();
    }
  });

  it.each([
    ['wasm', false],
    ['cpu', false],
    ['cpu', true],
  ])('leaves no tensors behind across many runs on %s (batched kernels: %s)', async (backend, batchedKernels) => {
    const engine = new TfjsEngine({ backend, batchedKernels });
    const architecture = parseManifest({ ...testModels.cnn, members: 3 });
    const compiled = await engine.compile(stackFloat32Members(architecture, randomMembers(architecture, 5)));
    const shared = randomInput([4, 1, 8, 8], 1);
    const perMember = randomInput([3, 4, 1, 8, 8], 2);
    const runAll = async () => {
      for (const strategy of ['vectorized', 'loop'] as const) {
        await compiled.run(shared, { mode: 'shared', strategy });
        await compiled.run(perMember, { mode: 'per-member', strategy });
      }
    };
    await runAll(); // the first passes build the derived constants
    const before = await engine.liveTensors();
    for (let i = 0; i < 25; i++) await runAll();
    expect(await engine.liveTensors()).toBe(before);
    await compiled.dispose();
    expect(await engine.liveTensors()).toBe(0);
    await engine.dispose();
  });

  it('reports the layers it runs per member', async () => {
    const engine = new TfjsEngine({ backend: 'wasm' });
    const architecture = parseManifest({ ...testModels.cnn, members: 2 });
    const compiled = await engine.compile(stackFloat32Members(architecture, randomMembers(architecture, 5)));
    await compiled.run(randomInput([2, 3, 1, 8, 8], 1), { mode: 'per-member' });
    expect(compiled.notes).toEqual([
      'conv2d conv1 runs once per member on member inputs: TensorFlow.js has no grouped convolution',
      'conv2d conv2 runs once per member on member inputs: TensorFlow.js has no grouped convolution',
      'linear fc runs as 2 2-D products: faster than one batched or wide product on this backend',
    ]);
    await compiled.dispose();
    const batched = new TfjsEngine({ backend: 'cpu', batchedKernels: true });
    const shared = await batched.compile(stackFloat32Members(architecture, randomMembers(architecture, 5)));
    await shared.run(randomInput([3, 1, 8, 8], 1), { mode: 'shared' });
    // with batched kernels, only the second convolution (on member inputs) runs per member
    expect(shared.notes).toEqual(['conv2d conv2 runs once per member on member inputs: TensorFlow.js has no grouped convolution']);
    await batched.dispose();
    await engine.dispose();
  });
});
