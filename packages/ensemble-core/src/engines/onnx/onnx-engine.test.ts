import { describe, expect, it } from 'vitest';
import { randomMembers, stackFloat32Members } from '../../examples/random-members.js';
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
  it('refuses a thread count that is not a positive integer, and backends it does not have', () => {
    expect(() => new OnnxEngine({ threads: 0 })).toThrow('threads must be a positive integer, got 0');
    expect(() => new OnnxEngine({ backend: 'cuda' })).toThrow('the onnx engine runs on the cpu backend; got backend cuda');
  });
});
