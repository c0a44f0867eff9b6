/**
 * The thread that runs ONNX Runtime sessions, so that a forward pass never
 * blocks the event loop of the thread that asked for it (onnxruntime-node
 * runs sessions synchronously on the calling thread). Messages:
 *   { id, type: 'create', model: Uint8Array, options }  → { id, ok, session, inputNames, outputNames }
 *   { id, type: 'run', session, feeds: { name: { dims, data } } } → { id, ok, outputs: { name: { dims, data } }, runMs }
 *     (runMs: the time in session.run alone, without the messages)
 *   { id, type: 'release', session } → { id, ok }
 *   { id, type: 'sessions' } → { id, ok, sessions } (sessions created and not released, for leak checks)
 */
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.onnxruntimePath);

const sessions = new Map();
let nextSession = 1;

async function handle(message) {
  switch (message.type) {
    case 'create': {
      const session = await ort.InferenceSession.create(message.model, message.options);
      const id = nextSession++;
      sessions.set(id, session);
      return { session: id, inputNames: session.inputNames, outputNames: session.outputNames };
    }
    case 'run': {
      const session = sessions.get(message.session);
      if (!session) throw new Error(`no session ${message.session}`);
      const feeds = {};
      for (const [name, { dims, data }] of Object.entries(message.feeds)) feeds[name] = new ort.Tensor('float32', data, dims);
      const started = performance.now();
      const results = await session.run(feeds);
      const runMs = performance.now() - started;
      const outputs = {};
      const transfer = [];
      for (const [name, result] of Object.entries(results)) {
        // Copy out of ONNX Runtime's buffer so it can be transferred, then free the native tensor.
        const data = new Float32Array(result.data);
        outputs[name] = { dims: [...result.dims], data };
        transfer.push(data.buffer);
        result.dispose?.();
      }
      return { result: { outputs, runMs }, transfer };
    }
    case 'release': {
      const session = sessions.get(message.session);
      sessions.delete(message.session);
      await session?.release();
      return {};
    }
    case 'sessions':
      return { sessions: sessions.size };
    default:
      throw new Error(`unknown message type ${message.type}`);
  }
}

parentPort.on('message', (message) => {
  handle(message).then(
    (reply) => {
      const { result, transfer } = reply.result ? reply : { result: reply, transfer: [] };
      parentPort.postMessage({ id: message.id, ok: true, ...result }, transfer);
    },
    (error) => parentPort.postMessage({ id: message.id, ok: false, message: String(error?.message ?? error) }),
  );
});
