/**
 * The TensorFlow.js engine's thread: on wasm and cpu a forward pass runs on
 * the JavaScript thread, so it runs here, never on the caller's. Messages:
 *   { id, type: 'compile', ensemble } → { id, ok, program }
 *   { id, type: 'run', program, input, mode, strategy } → { id, ok, data, notes }
 *   { id, type: 'release', program } / { id, type: 'memory' } → { id, ok, tensors }
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { StackedEnsemble } from '../../stacking/stacked-ensemble.js';
import { BATCHED_KERNEL_BACKENDS, loadTfjs, type TfjsBackend } from './tfjs-backends.js';
import { TfjsProgram } from './tfjs-program.js';

const port = parentPort;
if (!port) throw new Error('tfjs-worker runs as a worker thread');

const options = workerData as { backend: TfjsBackend | 'auto'; batchedKernels: boolean | undefined };
const loading = loadTfjs(options.backend);
const programs = new Map<number, TfjsProgram>();
let nextProgram = 1;

async function handle(message: Record<string, unknown>): Promise<{ reply: Record<string, unknown>; transfer?: ArrayBuffer[] }> {
  const { tf, backend } = await loading;
  switch (message.type) {
    case 'backend':
      return { reply: { backend } };
    case 'compile': {
      const program = new TfjsProgram(tf, message.ensemble as StackedEnsemble, {
        batchedKernels: options.batchedKernels ?? BATCHED_KERNEL_BACKENDS.includes(backend),
      });
      const id = nextProgram++;
      programs.set(id, program);
      return { reply: { program: id } };
    }
    case 'run': {
      const program = programs.get(message.program as number);
      if (!program) throw new Error(`no compiled ensemble ${String(message.program)}`);
      const started = performance.now();
      const data = program.run(message.input as never, message.mode as never, message.strategy as never);
      const computeMs = performance.now() - started;
      return { reply: { data, notes: [...program.notes], computeMs }, transfer: [data.buffer as ArrayBuffer] };
    }
    case 'release':
      programs.get(message.program as number)?.dispose();
      programs.delete(message.program as number);
      return { reply: {} };
    case 'memory':
      return { reply: { tensors: tf.memory().numTensors } };
    default:
      throw new Error(`unknown message type ${String(message.type)}`);
  }
}

port.on('message', (message: Record<string, unknown>) => {
  handle(message).then(
    ({ reply, transfer }) => port.postMessage({ id: message.id, ok: true, ...reply }, transfer ?? []),
    (error: unknown) => port.postMessage({ id: message.id, ok: false, message: error instanceof Error ? error.message : String(error) }),
  );
});
