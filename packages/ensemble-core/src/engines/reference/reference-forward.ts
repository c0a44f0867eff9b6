/**
 * The oracle: a plain float64 forward pass, one member at a time, straight
 * from each op's PyTorch definition. Slow on purpose; tests compare every
 * engine to it.
 */

import { opDefinition } from '../../ops/index.js';
import type { ReferenceTensor } from '../../ops/op-definition.js';
import type { StackedEnsemble } from '../../stacking/stacked-ensemble.js';
import type { Tensor } from '../../tensor/tensor.js';
import { checkInput } from '../check-input.js';
import type { InputMode } from '../engine.js';

/** Member outputs `[N, B, ...out]` in float64. */
export function referenceForward(ensemble: StackedEnsemble, input: Tensor, mode: InputMode): ReferenceTensor {
  const { architecture, parameters } = ensemble;
  const n = architecture.manifest.members;
  const batch = checkInput(architecture, input, mode);
  const sampleShape = [batch, ...architecture.manifest.input.shape];
  const memberInput = mode === 'shared' ? input.data.length : input.data.length / n;
  const outputs: Float64Array[] = [];

  for (let m = 0; m < n; m++) {
    const offset = mode === 'shared' ? 0 : m * memberInput;
    let x: ReferenceTensor = { shape: sampleShape, data: Float64Array.from(input.data.subarray(offset, offset + memberInput)) };
    for (const { layer, parameters: shapes } of architecture.layers) {
      const params: Record<string, Float64Array> = {};
      for (const suffix of Object.keys(shapes)) {
        const stacked = parameters.get(`${(layer as { name: string }).name}.${suffix}`) as Float32Array;
        const size = stacked.length / n;
        params[suffix] = Float64Array.from(stacked.subarray(m * size, (m + 1) * size));
      }
      x = opDefinition(layer.op).reference(layer, x, params);
    }
    outputs.push(x.data);
  }
  const data = new Float64Array(outputs.reduce((total, out) => total + out.length, 0));
  for (const [m, out] of outputs.entries()) data.set(out, m * out.length);
  return { shape: [n, batch, ...architecture.outputShape], data };
}
