/**
 * Emits the vectorized ONNX graph of a stacked ensemble: one graph whose
 * initializers are the stacked parameters, every layer computing all N
 * members at once. The loop strategy uses the same builder with N = 1.
 */

import { type OnnxLayerContext, toGroupedLayout, toMembersLayout, type VectorValue } from '../../kernels/onnx-kernel.js';
import { opDefinition } from '../../ops/index.js';
import type { StackedEnsemble } from '../../stacking/stacked-ensemble.js';
import type { InputMode } from '../engine.js';
import { OnnxGraphBuilder } from './onnx-graph-builder.js';
import type { OnnxGraph } from './onnx-model.js';

export const INPUT_NAME = 'input';
export const OUTPUT_NAME = 'members';

export function buildEnsembleGraph(ensemble: StackedEnsemble, mode: InputMode): OnnxGraph {
  const { architecture, parameters } = ensemble;
  const { members, input } = architecture.manifest;
  const graph = new OnnxGraphBuilder();
  let value: VectorValue = { name: INPUT_NAME, layout: mode === 'shared' ? 'shared' : 'members', sample: input.shape };

  for (const { layer } of architecture.layers) {
    const context: OnnxLayerContext = {
      members,
      graph,
      parameter(suffix) {
        const name = `${'name' in layer ? layer.name : layer.op}.${suffix}`;
        const data = parameters.get(name);
        if (!data) throw new Error(`stacked parameter ${name} is missing`);
        return data;
      },
      toMembers: (x) => toMembersLayout(graph, members, x),
      toGrouped: (x) => toGroupedLayout(graph, members, x),
    };
    value = opDefinition(layer.op).onnx(context, layer, value);
  }

  const output = toMembersLayout(graph, members, value);
  graph.alias(output.name, OUTPUT_NAME);
  const leading = mode === 'shared' ? ['batch'] : [members, 'batch'];
  return graph.build(
    architecture.manifest.name,
    [{ name: INPUT_NAME, dims: [...leading, ...input.shape] }],
    [{ name: OUTPUT_NAME, dims: [members, 'batch', ...architecture.outputShape] }],
  );
}
