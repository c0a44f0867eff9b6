/**
 * A fault injected into a worker process for the chaos tests, preloaded with
 * `node --import` (nothing in the worker knows of it): a forward pass whose
 * input holds the value `POISON_MARK` crashes the process (`POISON_FAULT=crash`,
 * as a native crash or the OOM killer would) or fails (`fail`). It sits where the worker hands a pass to its engine thread.
 */
import { Worker } from 'node:worker_threads';

const mark = Number(process.env.POISON_MARK);
const fault = process.env.POISON_FAULT;
const post = Worker.prototype.postMessage;

Worker.prototype.postMessage = function postMessage(message, transfer) {
  const feeds = message?.type === 'run' ? Object.values(message.feeds ?? {}) : [];
  if (feeds.some((feed) => feed.data.includes(mark))) {
    if (fault === 'crash') process.kill(process.pid, 'SIGKILL');
    if (fault === 'fail') throw new Error('the forward pass failed (poisoned input)');
    if (fault === 'hang') return undefined; // the pass is never handed over, so it never answers
  }
  return post.call(this, message, transfer);
};
