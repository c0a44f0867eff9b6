/**
 * Emits the vectorized ONNX graph of a stacked ensemble: one graph whose
 * initializers are the stacked parameters, every layer computing all N
 * members at once by its op's vectorization rule. The loop strategy uses the
 * same builder with N = 1. A graph is built for the batch size of a pass; the
 * questions its layers asked about the batch (`OnnxLayerContext.batchIn`)
 * say which other batch sizes it serves.
 */

import {
  type BatchRange,
  type GraphValue,
  graphValueToMembers,
  type OnnxLayerContext,
  type OnnxTensorContext,
  toGroupedLayout,
  toMembersLayout,
  type VectorLayout,
  type VectorValue,
} from '../../kernels/onnx-kernel.js';
import { gather } from '../../ops/gather.js';
import { opDefinition } from '../../ops/index.js';
import { transpose } from '../../ops/transpose.js';
import type { StackedEnsemble } from '../../stacking/stacked-ensemble.js';
import { batchFirst, type SymbolicShape, sameSymbolicShape } from '../../tensor/symbolic-shape.js';
import type { ValueDtype } from '../../tensor/value-info.js';
import type { InputMode } from '../engine.js';
import { type FoldedMove, foldDataMoves } from './data-move-folds.js';
import { OnnxGraphBuilder } from './onnx-graph-builder.js';
import { OnnxDataType, type OnnxGraph } from './onnx-model.js';

export const INPUT_NAME = 'input';
export const OUTPUT_NAME = 'members';

/** A value of the graph in any layout: layer ops read and make `sample` views of it, tensor ops `GraphValue`s. */
interface Value {
  readonly name: string;
  readonly layout: VectorLayout;
  readonly shape: SymbolicShape;
  readonly dtype: ValueDtype;
}

/** A question a layer asked about the batch while the graph was built, and its answer there. */
export interface BatchQuestion {
  readonly range: BatchRange;
  readonly answer: boolean;
}

export interface EnsembleGraph {
  readonly graph: OnnxGraph;
  /** Empty when the graph serves every batch size. */
  readonly batchQuestions: readonly BatchQuestion[];
}

/** Whether a graph built on these answers is the one for passes of `batch`: every question gets the same answer. */
export function servesBatch(questions: readonly BatchQuestion[], batch: number): boolean {
  return questions.every(({ range, answer }) => (batch >= range.min && batch <= range.max) === answer);
}

/** The vectorized graph for passes of `batch` (1 unless given); `buildEnsembleGraphFor` also tells which batches it serves. */
export function buildEnsembleGraph(ensemble: StackedEnsemble, mode: InputMode, batch = 1): OnnxGraph {
  return buildEnsembleGraphFor(ensemble, mode, batch).graph;
}

export function buildEnsembleGraphFor(ensemble: StackedEnsemble, mode: InputMode, batch: number): EnsembleGraph {
  const { architecture, parameters } = ensemble;
  const { members, input } = architecture.manifest;
  const graph = new OnnxGraphBuilder();
  const parameter = (name: string): Float32Array => {
    const data = parameters.get(name);
    if (!data) throw new Error(`stacked parameter ${name} is missing`);
    return data;
  };
  const rows = (x: Value): VectorValue => ({ name: x.name, layout: x.layout, sample: x.shape.slice(1) as number[] });
  const whole = (x: Value): GraphValue => {
    const value = x.layout === 'grouped' ? { ...x, ...toMembersLayout(graph, members, rows(x)) } : x;
    return { name: value.name, layout: value.layout === 'shared' ? 'shared' : 'members', shape: x.shape, dtype: x.dtype };
  };

  // The engine's input is float32; token ids travel as exact float32 integers and become int64 here.
  const inputName =
    input.dtype === 'int64' ? graph.node('Cast', [INPUT_NAME], { to: { kind: 'int', value: OnnxDataType.INT64 } }) : INPUT_NAME;
  const values = new Map<string, Value>([
    ['input', { name: inputName, layout: mode === 'shared' ? 'shared' : 'members', shape: batchFirst(input.shape), dtype: input.dtype }],
  ]);
  const tensorContext: OnnxTensorContext = { members, graph, parameter };
  const batchQuestions: BatchQuestion[] = [];
  const batchIn = (range: BatchRange): boolean => {
    const answer = batch >= range.min && batch <= range.max;
    batchQuestions.push({ range: { min: range.min, max: range.max }, answer });
    return answer;
  };

  // Exported attention's chains of data moves, written as one step each where ONNX Runtime would copy at every step.
  const folds = foldDataMoves(architecture);
  for (const { id, layer, inputs } of architecture.layers) {
    if (folds.skipped.has(id)) continue;
    const move = folds.moves.get(id);
    if (move) {
      values.set(
        id,
        writeMove(tensorContext, move, (name) => whole(values.get(name) as Value)),
      );
      continue;
    }
    const definition = opDefinition(layer.op);
    const read = inputs.map((name) => values.get(name) as Value);
    if (definition.kind === 'tensor') {
      const first = read[0];
      if (
        definition.elementwise &&
        first?.layout === 'grouped' &&
        read.every((x) => x.layout === 'grouped' && sameSymbolicShape(x.shape, first.shape))
      ) {
        // Inputs of one shape need no padding: the members form is the grouped form too.
        const out = definition.onnx(
          tensorContext,
          layer,
          read.map((x) => ({ ...x, layout: 'members' })),
        );
        values.set(id, { ...out, layout: 'grouped' });
      } else {
        values.set(id, definition.onnx(tensorContext, layer, read.map(whole)));
      }
      continue;
    }
    const x = read[0] as Value;
    const context: OnnxLayerContext = {
      members,
      graph,
      batchIn,
      parameter: (suffix) => parameter(`${layer.name}.${suffix}`),
      toMembers: (v) => toMembersLayout(graph, members, v),
      toGrouped: (v) => toGroupedLayout(graph, members, v),
    };
    const out = definition.onnx(context, layer, rows(x));
    values.set(id, { name: out.name, layout: out.layout, shape: [x.shape[0] as number, ...out.sample], dtype: 'float32' });
  }

  const output = graphValueToMembers(graph, members, whole(values.get(architecture.output) as Value));
  graph.alias(output.name, OUTPUT_NAME);
  const leading = mode === 'shared' ? ['batch'] : [members, 'batch'];
  return {
    graph: graph.build(
      architecture.manifest.name,
      [{ name: INPUT_NAME, dims: [...leading, ...input.shape] }],
      [{ name: OUTPUT_NAME, dims: [members, 'batch', ...architecture.outputShape] }],
    ),
    batchQuestions,
  };
}

/** A folded chain's one step, by the op that makes it. */
function writeMove(context: OnnxTensorContext, move: FoldedMove, read: (name: string) => GraphValue): GraphValue {
  return move.op === 'transpose'
    ? transpose.onnx(context, { op: 'transpose', perm: [...move.perm] }, [read(move.source)])
    : gather.onnx(context, { op: 'gather', axis: move.axis }, [read(move.source), read(move.indices)]);
}
