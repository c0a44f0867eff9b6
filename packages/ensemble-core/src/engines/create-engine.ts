/** The one place that maps an engine name (as the CLI and API spell it) to its implementation. */
import type { EngineOptions, EnsembleEngine } from './engine.js';
import { OnnxEngine } from './onnx/onnx-engine.js';
import { TfjsEngine } from './tfjs/tfjs-engine.js';

const factories = {
  onnx: (options: EngineOptions) => new OnnxEngine(options),
  tfjs: (options: EngineOptions) => new TfjsEngine(options),
} satisfies Record<string, (options: EngineOptions) => EnsembleEngine>;

export type EngineName = keyof typeof factories;
export const engineNames = Object.keys(factories) as EngineName[];
/** ONNX Runtime: the default engine. */
export const DEFAULT_ENGINE: EngineName = 'onnx';

export function isEngineName(name: string): name is EngineName {
  return Object.hasOwn(factories, name);
}

export function createEngine(name: EngineName = DEFAULT_ENGINE, options: EngineOptions = {}): EnsembleEngine {
  return factories[name](options);
}
