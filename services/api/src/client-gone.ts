/**
 * A signal that the client has gone away: the response's connection closed
 * before the answer was sent. A wait for a job (`Prefer: wait=N`, the Open
 * Inference Protocol's `infer`) ends then, rather than hold its timer and
 * listener for a client that will never read the answer.
 */
import type { FastifyReply } from 'fastify';

/** The reason a signal aborts with: a plain value, since `abort()` without one builds a DOMException (and its stack) per request. */
const CLIENT_GONE = Object.freeze({ reason: 'the client has gone away' });

export function clientGoneSignal(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  // The client may have gone while the request was still being read or checked: its close has been and gone.
  if (clientHasGone(reply)) controller.abort(CLIENT_GONE);
  // After a normal answer the response closes too; by then nothing waits on the signal.
  else reply.raw.once('close', () => controller.abort(CLIENT_GONE));
  return controller.signal;
}

/** True once the client's connection is closed. */
export function clientHasGone(reply: FastifyReply): boolean {
  return reply.raw.destroyed || reply.request.raw.socket?.destroyed === true;
}
