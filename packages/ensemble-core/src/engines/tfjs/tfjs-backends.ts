/**
 * Which TensorFlow.js backend runs the engine. `auto` takes the fastest one
 * installed: the native TensorFlow packages (`@tensorflow/tfjs-node-gpu`,
 * `@tensorflow/tfjs-node`; optional, they download libtensorflow when
 * installed), then WebAssembly, then plain JavaScript.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { EngineError } from '../../errors/ensemble-error.js';
import type { Tf } from '../../kernels/tfjs-kernel.js';

export const tfjsBackends = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type TfjsBackend = (typeof tfjsBackends)[number];

const packages: Record<TfjsBackend, string> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
  wasm: '@tensorflow/tfjs-backend-wasm',
  cpu: '@tensorflow/tfjs-backend-cpu',
};

/** Backends whose batched and wide kernels are fast; the others get per-member kernels (see `TfjsLayerContext`). */
export const BATCHED_KERNEL_BACKENDS: readonly TfjsBackend[] = ['tensorflow-gpu', 'tensorflow'];

const require = createRequire(import.meta.url);

function installed(backend: TfjsBackend): boolean {
  try {
    require.resolve(packages[backend]);
    return true;
  } catch {
    return false;
  }
}

/** The backends installed here, fastest first. */
export async function availableTfjsBackends(): Promise<TfjsBackend[]> {
  return tfjsBackends.filter(installed);
}

export function isTfjsBackend(name: string): name is TfjsBackend | 'auto' {
  return name === 'auto' || (tfjsBackends as readonly string[]).includes(name);
}

/** Loads TensorFlow.js with the requested backend (in the engine's thread). */
export async function loadTfjs(requested: TfjsBackend | 'auto'): Promise<{ tf: Tf; backend: TfjsBackend }> {
  const candidates = requested === 'auto' ? tfjsBackends.filter(installed) : [requested];
  if (requested !== 'auto' && !installed(requested)) {
    throw new EngineError(`the TensorFlow.js backend ${requested} needs ${packages[requested]}: npm install ${packages[requested]}`);
  }
  const tf = await import('@tensorflow/tfjs-core');
  for (const backend of candidates) {
    if (backend === 'wasm') {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      wasm.setWasmPaths(`${dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'))}/`);
    } else {
      await import(packages[backend]);
    }
    const name = backend.startsWith('tensorflow') ? 'tensorflow' : backend;
    if (await tf.setBackend(name)) return { tf, backend };
  }
  throw new EngineError(`no TensorFlow.js backend could start (tried ${candidates.join(', ')})`);
}
