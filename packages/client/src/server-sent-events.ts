/**
 * Server-sent events (`text/event-stream`) read from a response body with
 * `fetch`, as the WHATWG HTML standard parses them: lines end in CRLF, LF or
 * CR (even split across chunks), `data` lines join with newlines, comments
 * (`: keep-alive`) are skipped, an event is dispatched at a blank line, and
 * an event cut off by the end of the stream is dropped. `EventSource` is not
 * used: it cannot send an `Authorization` header.
 */

export interface ServerSentEvent {
  /** The `event` field; `message` when the event has none. */
  readonly event: string;
  /** The `data` lines, joined with `\n`. */
  readonly data: string;
  /** The last `id` field seen, if any. */
  readonly id?: string;
}

/** Turns text, fed in chunks of any size, into events. */
export class ServerSentEventParser {
  /** The current line so far, in pieces: a long `data` line may span many chunks. */
  private pending: string[] = [];
  /** The last chunk ended in CR: an LF at the start of the next one ends no line. */
  private afterCr = false;
  private eventType = '';
  private data: string[] = [];
  private lastId: string | undefined;

  /** Feeds the next chunk of text and returns the events it completes. */
  push(chunk: string): ServerSentEvent[] {
    const events: ServerSentEvent[] = [];
    if (chunk === '') return events;
    let start = 0;
    if (this.afterCr && chunk.startsWith('\n')) start = 1;
    this.afterCr = false;
    const lineEnd = /\r\n|\r|\n/g;
    lineEnd.lastIndex = start;
    for (let match = lineEnd.exec(chunk); match; match = lineEnd.exec(chunk)) {
      // A CR at the very end may be the first half of a CRLF split across chunks.
      if (match[0] === '\r' && match.index === chunk.length - 1) this.afterCr = true;
      this.pending.push(chunk.slice(start, match.index));
      const line = this.pending.join('');
      this.pending = [];
      const event = this.line(line);
      if (event) events.push(event);
      start = match.index + match[0].length;
    }
    if (start < chunk.length) this.pending.push(chunk.slice(start));
    return events;
  }

  private line(line: string): ServerSentEvent | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.eventType = value;
    else if (field === 'data') this.data.push(value);
    else if (field === 'id' && !value.includes('\0')) this.lastId = value;
    // `retry` and unknown fields: nothing to do here.
    return undefined;
  }

  private dispatch(): ServerSentEvent | undefined {
    const type = this.eventType || 'message';
    const data = this.data;
    this.eventType = '';
    this.data = [];
    if (data.length === 0) return undefined;
    return { event: type, data: data.join('\n'), ...(this.lastId === undefined ? {} : { id: this.lastId }) };
  }
}

/**
 * The events of a response body, as they arrive. Ends with the stream;
 * stopping early (a `break` in `for await`) cancels the body.
 *
 * @example
 * const response = await fetch(url, { headers: { accept: 'text/event-stream' } });
 * for await (const event of readServerSentEvents(response.body)) console.log(event.event, event.data);
 */
export async function* readServerSentEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<ServerSentEvent, void, undefined> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const parser = new ServerSentEventParser();
  let done = false;
  try {
    while (true) {
      const chunk = await reader.read();
      if (chunk.done) break;
      yield* parser.push(decoder.decode(chunk.value, { stream: true }));
    }
    done = true;
    // What the decoder still held; an event it completes (a final blank line) still counts.
    yield* parser.push(decoder.decode());
  } finally {
    if (!done) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
