/** What every engine promises beyond numbers: a free event loop, clear input errors, disposal. */
import { afterAll, describe, expect, it } from 'vitest';
import { EngineError, InputError } from '../errors/ensemble-error.js';
import { randomInput, randomMembers, stackFloat32Members } from '../examples/random-members.js';
import { seedMlpManifest } from '../examples/seed-mlp.js';
import { parseManifest } from '../manifest/parse-manifest.js';
import { testEngines } from '../testing/test-engines.js';

const seed = parseManifest(seedMlpManifest);
const seedEnsemble = stackFloat32Members(seed, randomMembers(seed, 0));

describe.each(Object.entries(testEngines))('%s engine', (_name, createEngine) => {
  const engine = createEngine();
  afterAll(() => engine.dispose());

  it('keeps the event loop free while forward passes run', async () => {
    const compiled = await engine.compile(seedEnsemble);
    const input = randomInput([10, 64, 1, 28, 28], 4);
    await compiled.run(input, { mode: 'per-member', strategy: 'loop' }); // warm-up
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const started = performance.now();
    let runs = 0;
    while (performance.now() - started < 250) {
      await compiled.run(input, { mode: 'per-member', strategy: 'loop' });
      runs++;
    }
    clearInterval(timer);
    await compiled.dispose();
    // A pass that blocked the event loop would let the 1 ms timer fire at most once per pass.
    expect(ticks).toBeGreaterThan(runs * 2);
  });

  it('names the expected shape when the input does not fit the manifest or the mode', async () => {
    const compiled = await engine.compile(seedEnsemble);
    await expect(compiled.run(randomInput([3, 784], 0), { mode: 'shared' })).rejects.toThrow(
      new InputError("input shape [3, 784] does not match the manifest's [*, 1, 28, 28]"),
    );
    await expect(compiled.run(randomInput([4, 2, 1, 28, 28], 0), { mode: 'per-member' })).rejects.toThrow(
      "input shape [4, 2, 1, 28, 28] does not match the manifest's [10, *, 1, 28, 28] (per-member mode: one minibatch per member)",
    );
    await expect(compiled.run({ shape: [2, 1, 28, 28], data: new Float32Array(5) }, { mode: 'shared' })).rejects.toThrow(
      'input of shape [2, 1, 28, 28] needs 1568 values, got 5',
    );
    await compiled.dispose();
    await expect(compiled.run(randomInput([1, 1, 28, 28], 0), { mode: 'shared' })).rejects.toBeInstanceOf(EngineError);
  });
});
