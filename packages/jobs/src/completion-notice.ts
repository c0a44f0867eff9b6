/**
 * How a worker tells the API process that submitted a job that the job has
 * finished: a message on that process' channel (`redisKeys().notifications(replyTo)`),
 * so that an API process hears of its own jobs only, whatever the number of
 * API processes. Pub/Sub is at most once: the API also reads the state of
 * jobs it has waited on for a while, and of every waited job after its
 * channel reconnects, so that a lost notice delays an answer, never loses it.
 */

/** The outcome a notice carries: completed, or failed for good (a failure that will be retried is no notice). */
export type CompletionStatus = 'completed' | 'failed';

export interface CompletionNotice {
  readonly id: string;
  readonly status: CompletionStatus;
}

/** `c:{id}` or `f:{id}`: the channel carries nothing else, and a notice is read per finished job. */
export function encodeCompletionNotice(notice: CompletionNotice): string {
  return `${notice.status === 'completed' ? 'c' : 'f'}:${notice.id}`;
}

/** The notice in `message`, or undefined for a message that is none. */
export function parseCompletionNotice(message: string): CompletionNotice | undefined {
  const status = message.startsWith('c:') ? 'completed' : message.startsWith('f:') ? 'failed' : undefined;
  const id = message.slice(2);
  return status && id ? { id, status } : undefined;
}
