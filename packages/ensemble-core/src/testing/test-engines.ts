/** Every engine the parameterized suites run against, by name. */
import type { EnsembleEngine } from '../engines/engine.js';
import { OnnxEngine } from '../engines/onnx/onnx-engine.js';
import { TfjsEngine } from '../engines/tfjs/tfjs-engine.js';

export const testEngines: Record<string, () => EnsembleEngine> = {
  onnx: () => new OnnxEngine({ threads: 2 }),
  'tfjs-wasm': () => new TfjsEngine({ backend: 'wasm' }),
  'tfjs-cpu': () => new TfjsEngine({ backend: 'cpu' }),
  // the batched-kernel forms that native TensorFlow backends use, on a backend installed here
  'tfjs-cpu (batched kernels)': () => new TfjsEngine({ backend: 'cpu', batchedKernels: true }),
};
