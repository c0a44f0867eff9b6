import { afterAll, describe, expect, it } from 'vitest';
import { EngineError, InputError } from '../../errors/ensemble-error.js';
import { randomInput, randomMembers, stackFloat32Members } from '../../examples/random-members.js';
import { seedMlpManifest } from '../../examples/seed-mlp.js';
import { parseManifest } from '../../manifest/parse-manifest.js';
import { testModels } from '../../testing/test-models.js';
import { buildEnsembleGraph } from './build-ensemble-graph.js';
import { OnnxEngine } from './onnx-engine.js';

const seed = parseManifest(seedMlpManifest);
const seedEnsemble = stackFloat32Members(seed, randomMembers(seed, 0));

describe('the vectorized ONNX graph', () => {
  it('is one graph over stacked initializers, not N graphs glued together', () => {
    const graph = buildEnsembleGraph(seedEnsemble, 'per-member');
    expect(graph.nodes.filter((node) => node.opType === 'MatMul')).toHaveLength(3);
    const fc1 = graph.initializers.find((initializer) => initializer.dims.join() === '10,784,128');
    expect(fc1).toBeDefined();
    expect(graph.inputs[0]?.dims).toEqual([10, 'batch', 1, 28, 28]);
    expect(graph.outputs[0]?.dims).toEqual([10, 'batch', 10]);
  });

  it('runs conv2d as one grouped convolution over member-stacked channels', () => {
    const cnn = parseManifest({ ...testModels.cnn, members: 4 });
    const ensemble = stackFloat32Members(cnn, randomMembers(cnn, 1));
    const convs = buildEnsembleGraph(ensemble, 'per-member').nodes.filter((node) => node.opType === 'Conv');
    expect(convs.map((node) => node.attributes?.group)).toEqual([
      { kind: 'int', value: 4 },
      { kind: 'int', value: 4 },
    ]);
    // a shared input needs no grouping for the first convolution: one Conv with N*out channels
    const shared = buildEnsembleGraph(ensemble, 'shared').nodes.filter((node) => node.opType === 'Conv');
    expect(shared.map((node) => node.attributes?.group)).toEqual([
      { kind: 'int', value: 1 },
      { kind: 'int', value: 4 },
    ]);
  });
});

describe('OnnxEngine', () => {
  const engine = new OnnxEngine({ threads: 1 });
  afterAll(() => engine.dispose());

  it('keeps the event loop free while a forward pass runs', async () => {
    const wide = parseManifest({
      name: 'wide',
      members: 8,
      input: { shape: [1024] },
      layers: [{ op: 'linear', name: 'a', in: 1024, out: 1024 }, { op: 'relu' }, { op: 'linear', name: 'b', in: 1024, out: 1024 }],
    });
    const compiled = await engine.compile(stackFloat32Members(wide, randomMembers(wide, 3)));
    const input = randomInput([8, 256, 1024], 4);
    await compiled.run(input, { mode: 'per-member' }); // warm-up
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const started = performance.now();
    let runs = 0;
    while (performance.now() - started < 200) {
      await compiled.run(input, { mode: 'per-member' });
      runs++;
    }
    clearInterval(timer);
    await compiled.dispose();
    // a blocking pass would let the 1 ms timer fire at most once per pass
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

  it('refuses a thread count that is not a positive integer', () => {
    expect(() => new OnnxEngine({ threads: 0 })).toThrow('threads must be a positive integer, got 0');
  });
});
