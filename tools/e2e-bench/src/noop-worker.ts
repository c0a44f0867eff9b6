/**
 * A BullMQ worker with a no-op processor, as a process of its own, for the
 * BullMQ-alone baseline: `node noop-worker.js <redis-url> <prefix> <queue> <concurrency>`.
 */
import { Worker } from 'bullmq';

const [redisUrl, prefix, queue, concurrency] = process.argv.slice(2);
const worker = new Worker(queue as string, async () => null, {
  connection: { url: redisUrl },
  prefix: prefix as string,
  concurrency: Number(concurrency),
});
await worker.waitUntilReady();
process.send?.('ready');
process.on('SIGTERM', () => void worker.close().then(() => process.exit(0)));
