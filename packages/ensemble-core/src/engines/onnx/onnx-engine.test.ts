import { afterAll, describe, expect, it } from 'vitest';
import { randomInput, randomMembers, stackFloat32Members } from '../../examples/random-members.js';
import { seedMlpManifest } from '../../examples/seed-mlp.js';
import { type EnsembleArchitecture, parseManifest } from '../../manifest/parse-manifest.js';
import { TRANSPOSED_BATCHES } from '../../ops/linear.js';
import { expectClose } from '../../testing/check-engines.js';
import { testModels } from '../../testing/test-models.js';
import type { InputMode } from '../engine.js';
import { referenceForward } from '../reference/reference-forward.js';
import { buildEnsembleGraph, buildEnsembleGraphFor, servesBatch } from './build-ensemble-graph.js';
import { OnnxEngine } from './onnx-engine.js';

const seed = parseManifest(seedMlpManifest);
const seedEnsemble = stackFloat32Members(seed, randomMembers(seed, 0));
/** A server's small ensemble: ten 16-16-4 MLPs. */
const tiny = parseManifest({
  name: 'tiny-mlp',
  members: 10,
  input: { shape: [16] },
  layers: [{ op: 'linear', name: 'fc1', in: 16, out: 16 }, { op: 'relu' }, { op: 'linear', name: 'fc2', in: 16, out: 4 }],
});
const tinyEnsemble = stackFloat32Members(tiny, randomMembers(tiny, 2));

function inputFor(architecture: EnsembleArchitecture, mode: InputMode, batch: number, seed = 3) {
  const lead = mode === 'shared' ? [batch] : [architecture.manifest.members, batch];
  return randomInput([...lead, ...architecture.manifest.input.shape], seed);
}

describe('the vectorized ONNX graph', () => {
  it('is one graph over stacked initializers, not N graphs glued together', () => {
    const graph = buildEnsembleGraph(seedEnsemble, 'per-member');
    expect(graph.nodes.filter((node) => node.opType === 'MatMul')).toHaveLength(3);
    const fc1 = graph.initializers.find((initializer) => initializer.dims.join() === '10,784,128');
    expect(fc1).toBeDefined();
    expect(graph.inputs[0]?.dims).toEqual([10, 'batch', 1, 28, 28]);
    expect(graph.outputs[0]?.dims).toEqual([10, 'batch', 10]);
  });

  it('is built for a batch size, and says which others it serves', () => {
    const large = buildEnsembleGraphFor(seedEnsemble, 'per-member', 64);
    // the seed's fc1 (784x128) takes the transposed form from batch 16 to 127; fc2 and fc3 never
    expect(large.batchQuestions).toEqual([{ range: TRANSPOSED_BATCHES, answer: true }]);
    expect([1, 15, 16, 127, 128].map((batch) => servesBatch(large.batchQuestions, batch))).toEqual([false, false, true, true, false]);
    const small = buildEnsembleGraphFor(seedEnsemble, 'per-member', 1);
    expect([1, 15, 16, 127, 128].map((batch) => servesBatch(small.batchQuestions, batch))).toEqual([true, true, false, false, true]);
    expect(buildEnsembleGraphFor(seedEnsemble, 'shared', 64).batchQuestions).toEqual([]);
    expect(servesBatch([], 7)).toBe(true);
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
  it('refuses a thread count that is not a positive integer, and backends it does not have', () => {
    expect(() => new OnnxEngine({ threads: 0 })).toThrow('threads must be a positive integer, got 0');
    expect(() => new OnnxEngine({ backend: 'cuda' })).toThrow('the onnx engine runs on the cpu backend; got backend cuda');
    expect(() => new OnnxEngine({ callerThreadMaxMs: -1 })).toThrow(
      "callerThreadMaxMs must be milliseconds >= 0 (0: never the caller's thread), got -1",
    );
    expect(() => new OnnxEngine({ callerThreadMaxBytes: Number.NaN })).toThrow('callerThreadMaxBytes must be bytes >= 0, got NaN');
  });

  it('moves a consumed input to its thread instead of copying it, with the same result, and leaves other inputs alone', async () => {
    const engine = new OnnxEngine({ threads: 1, callerThreadMaxMs: 0 });
    try {
      const architecture = parseManifest(seedMlpManifest);
      const compiled = await engine.compile(stackFloat32Members(architecture, randomMembers(architecture, 2)));
      const kept = randomInput([3, 1, 28, 28], 4);
      const consumed = { shape: kept.shape, data: kept.data.slice() };
      const expected = await compiled.run(kept, { mode: 'shared' });
      expect(kept.data.length).toBe(3 * 784);
      const result = await compiled.run(consumed, { mode: 'shared', consumeInput: true });
      expect(consumed.data.length).toBe(0);
      expect(Array.from(result.data)).toEqual(Array.from(expected.data));
    } finally {
      await engine.dispose();
    }
  });
});

describe('OnnxEngine, graphs built for a batch size', () => {
  it('opens a second session only for batches whose graph differs, and gives the reference numbers in both', async () => {
    const engine = new OnnxEngine({ threads: 2, callerThreadMaxMs: 0 });
    try {
      const compiled = await engine.compile(seedEnsemble);
      expect(await engine.liveSessions()).toEqual({ caller: 0, engine: 2 });
      for (const [mode, batch, sessions] of [
        ['per-member', 1, 2],
        ['per-member', 64, 3],
        ['per-member', 16, 3],
        ['per-member', 127, 3],
        ['per-member', 128, 3],
        ['per-member', 15, 3],
        // the seed's shared graph serves every batch
        ['shared', 64, 3],
        ['shared', 1, 3],
      ] as const) {
        const input = inputFor(seed, mode, batch, batch);
        const result = await compiled.run(input, { mode });
        expectClose(result.data, referenceForward(seedEnsemble, input, mode).data, 1e-4, 1e-4, `${mode} input, B=${batch}`);
        expect((await engine.liveSessions()).engine, `${mode} input, B=${batch}`).toBe(sessions);
      }
      await compiled.dispose();
      expect(await engine.liveSessions()).toEqual({ caller: 0, engine: 0 });
    } finally {
      await engine.dispose();
    }
  });

  it("does the same on the caller's thread", async () => {
    const onCaller = new OnnxEngine({ threads: 2, callerThreadMaxMs: Number.POSITIVE_INFINITY });
    try {
      const compiled = await onCaller.compile(seedEnsemble);
      for (const batch of [1, 32, 200]) {
        const input = inputFor(seed, 'per-member', batch, batch);
        const result = await compiled.run(input, { mode: 'per-member' });
        expect(compiled.lastPassThread).toBe('caller');
        expectClose(result.data, referenceForward(seedEnsemble, input, 'per-member').data, 1e-4, 1e-4, `B=${batch}`);
      }
      expect((await onCaller.liveSessions()).caller).toBe(2);
      await compiled.dispose();
      expect(await onCaller.liveSessions()).toEqual({ caller: 0, engine: 0 });
    } finally {
      await onCaller.dispose();
    }
  });
});

describe("OnnxEngine on the caller's thread", () => {
  // Infinity and 0 take timing out of the choice: every pass on the caller's thread, or none.
  const caller = new OnnxEngine({ threads: 2, callerThreadMaxMs: Number.POSITIVE_INFINITY });
  const engine = new OnnxEngine({ threads: 2, callerThreadMaxMs: 0 });
  afterAll(() => Promise.all([caller.dispose(), engine.dispose()]));

  describe.each(Object.entries(testModels))('%s', (_name, model) => {
    it.each([
      ['shared', 1],
      ['shared', 5],
      ['per-member', 1],
      ['per-member', 5],
    ] as const)("%s input, B=%i: gives the engine thread's numbers", async (mode, batch) => {
      const architecture = parseManifest({ ...model, members: 3 });
      const ensemble = stackFloat32Members(architecture, randomMembers(architecture, 5));
      const [onCaller, onEngine] = await Promise.all([caller.compile(ensemble), engine.compile(ensemble)]);
      const input = inputFor(architecture, mode, batch);
      const fromCaller = await onCaller.run(input, { mode });
      expect(onCaller.lastPassThread).toBe('caller');
      const fromEngine = await onEngine.run(input, { mode });
      expect(onEngine.lastPassThread).toBe('engine');
      expect(fromCaller.shape).toEqual([3, batch, ...architecture.outputShape]);
      expect(fromCaller.shape).toEqual(fromEngine.shape);
      expect(fromCaller.data.length).toBe(fromEngine.data.length);
      for (const [i, value] of fromEngine.data.entries()) expect(fromCaller.data[i]).toBeCloseTo(value, 6);
      await Promise.all([onCaller.dispose(), onEngine.dispose()]);
    });
  });

  it("runs a tiny ensemble's vectorized passes there, its member loop on the engine's thread, and reports compute time for both", async () => {
    const compiled = await caller.compile(tinyEnsemble);
    for (const mode of ['shared', 'per-member'] as const) {
      await compiled.run(inputFor(tiny, mode, 1), { mode });
      expect(compiled.lastPassThread).toBe('caller');
      expect(compiled.lastComputeMs).toBeGreaterThan(0);
      await compiled.run(inputFor(tiny, mode, 1), { mode, strategy: 'loop' });
      expect(compiled.lastPassThread).toBe('engine');
      expect(compiled.lastComputeMs).toBeGreaterThan(0);
    }
    await compiled.dispose();
  });

  it('keeps an ensemble above callerThreadMaxBytes, or every ensemble when disabled, on the engine thread', async () => {
    const small = new OnnxEngine({ threads: 2, callerThreadMaxMs: Number.POSITIVE_INFINITY, callerThreadMaxBytes: 2 ** 20 });
    const seedOnSmall = await small.compile(seedEnsemble); // 4.7 MB of parameters
    const tinyOnSmall = await small.compile(tinyEnsemble);
    const tinyOnEngine = await engine.compile(tinyEnsemble);
    try {
      await seedOnSmall.run(inputFor(seed, 'shared', 1), { mode: 'shared' });
      expect(seedOnSmall.lastPassThread).toBe('engine');
      await tinyOnSmall.run(inputFor(tiny, 'shared', 1), { mode: 'shared' });
      expect(tinyOnSmall.lastPassThread).toBe('caller');
      await tinyOnEngine.run(inputFor(tiny, 'shared', 1), { mode: 'shared' });
      expect(tinyOnEngine.lastPassThread).toBe('engine');
      expect(await small.liveSessions()).toEqual({ caller: 1, engine: 4 });
      expect((await engine.liveSessions()).caller).toBe(0);
    } finally {
      await Promise.all([small.dispose(), tinyOnEngine.dispose()]);
    }
  });

  it('keeps an ensemble above the default size limit (8 MiB) on the engine thread', async () => {
    // 8.5 MB of parameters
    const wide = parseManifest({
      name: 'wide',
      members: 2,
      input: { shape: [1024] },
      layers: [{ op: 'linear', name: 'fc', in: 1024, out: 1040 }],
    });
    const compiled = await caller.compile(stackFloat32Members(wide, randomMembers(wide, 0)));
    await compiled.run(inputFor(wide, 'shared', 1), { mode: 'shared' });
    expect(compiled.lastPassThread).toBe('engine');
    await compiled.dispose();
  });

  it('gives the same numbers whichever thread the default policy picks, pass after pass', async () => {
    const timed = new OnnxEngine({ threads: 2 });
    const [byPolicy, onEngine] = await Promise.all([timed.compile(tinyEnsemble), engine.compile(tinyEnsemble)]);
    try {
      const input = inputFor(tiny, 'per-member', 2);
      const expected = await onEngine.run(input, { mode: 'per-member' });
      for (let i = 0; i < 40; i++) expect(await byPolicy.run(input, { mode: 'per-member' })).toEqual(expected);
    } finally {
      await Promise.all([timed.dispose(), onEngine.dispose()]);
    }
  });

  it('releases the sessions on both threads when an ensemble, or the engine, is disposed', async () => {
    const own = new OnnxEngine({ threads: 2, callerThreadMaxMs: Number.POSITIVE_INFINITY });
    const first = await own.compile(tinyEnsemble);
    const second = await own.compile(tinyEnsemble);
    for (const compiled of [first, second]) {
      for (const mode of ['shared', 'per-member'] as const) await compiled.run(inputFor(tiny, mode, 1), { mode });
    }
    expect(await own.liveSessions()).toEqual({ caller: 4, engine: 4 });
    await first.dispose();
    expect(await own.liveSessions()).toEqual({ caller: 2, engine: 2 });
    await own.dispose();
    expect(await own.liveSessions()).toEqual({ caller: 0, engine: 0 });
    // the caller's thread is no way around disposal
    await expect(second.run(inputFor(tiny, 'shared', 1), { mode: 'shared' })).rejects.toThrow('ensemble tiny-mlp was disposed');
  });
});
