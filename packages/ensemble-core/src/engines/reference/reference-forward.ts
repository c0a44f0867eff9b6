/**
 * The oracle: a plain float64 forward pass, one member at a time, straight
 * from each op's PyTorch definition. Slow on purpose; tests compare every
 * engine to it.
 */

import { opDefinition } from '../../ops/index.js';
import type { ReferenceTensor } from '../../ops/op-definition.js';
import type { StackedEnsemble } from '../../stacking/stacked-ensemble.js';
import { batchFirst } from '../../tensor/symbolic-shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { ValueInfo } from '../../tensor/value-info.js';
import { checkInput } from '../check-input.js';
import type { InputMode } from '../engine.js';

/** Member outputs `[N, B, ...out]` in float64. */
export function referenceForward(ensemble: StackedEnsemble, input: Tensor, mode: InputMode): ReferenceTensor {
  const { architecture, parameters } = ensemble;
  const n = architecture.manifest.members;
  const batch = checkInput(architecture, input, mode);
  const sampleShape = [batch, ...architecture.manifest.input.shape];
  const memberInput = mode === 'shared' ? input.data.length : input.data.length / n;
  const memberSlice = (name: string, m: number): Float64Array => {
    const stacked = parameters.get(name) as Float32Array;
    const size = stacked.length / n;
    return Float64Array.from(stacked.subarray(m * size, (m + 1) * size));
  };
  const infos = new Map<string, ValueInfo>([
    ['input', { shape: batchFirst(architecture.manifest.input.shape), dtype: architecture.manifest.input.dtype }],
    ...architecture.layers.map((layer) => [layer.id, layer.value] as const),
  ]);
  const outputs: Float64Array[] = [];

  for (let m = 0; m < n; m++) {
    const offset = mode === 'shared' ? 0 : m * memberInput;
    const values = new Map<string, ReferenceTensor>([
      ['input', { shape: sampleShape, data: Float64Array.from(input.data.subarray(offset, offset + memberInput)) }],
    ]);
    for (const { id, layer, inputs, parameters: shapes } of architecture.layers) {
      const definition = opDefinition(layer.op);
      const read = inputs.map((name) => values.get(name) as ReferenceTensor);
      const params: Record<string, Float64Array> = {};
      if (definition.kind === 'tensor') {
        for (const name of Object.keys(shapes)) params[name] = memberSlice(name, m);
        values.set(
          id,
          definition.reference(
            layer,
            read,
            params,
            inputs.map((name) => infos.get(name) as ValueInfo),
          ),
        );
      } else {
        for (const suffix of Object.keys(shapes)) params[suffix] = memberSlice(`${layer.name}.${suffix}`, m);
        values.set(id, definition.reference(layer, read[0] as ReferenceTensor, params));
      }
    }
    outputs.push((values.get(architecture.output) as ReferenceTensor).data);
  }
  const data = new Float64Array(outputs.reduce((total, out) => total + out.length, 0));
  for (const [m, out] of outputs.entries()) data.set(out, m * out.length);
  return { shape: [n, batch, ...architecture.outputShape], data };
}
