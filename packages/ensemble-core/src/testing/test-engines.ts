/** Every engine the parameterized suites run against, by name. */
import type { EnsembleEngine } from '../engines/engine.js';
import { OnnxEngine } from '../engines/onnx/onnx-engine.js';

export const testEngines: Record<string, () => EnsembleEngine> = {
  onnx: () => new OnnxEngine({ threads: 2 }),
};
