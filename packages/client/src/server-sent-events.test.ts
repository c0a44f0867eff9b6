import { describe, expect, it } from 'vitest';
import { readServerSentEvents, type ServerSentEvent, ServerSentEventParser } from './server-sent-events.js';

function parseAll(chunks: readonly string[]): ServerSentEvent[] {
  const parser = new ServerSentEventParser();
  return chunks.flatMap((chunk) => parser.push(chunk));
}

describe('ServerSentEventParser', () => {
  it('reads events, their types and data, and skips comments', () => {
    const text = ': keep-alive\n\nevent: status\ndata: {"a":1}\n\ndata: plain\n\n';
    expect(parseAll([text])).toEqual([
      { event: 'status', data: '{"a":1}' },
      { event: 'message', data: 'plain' },
    ]);
  });

  it('joins data lines with newlines, strips one space after the colon, and keeps the last id', () => {
    const text = 'id: 7\ndata:first\ndata:  second\ndata\n\n';
    expect(parseAll([text])).toEqual([{ event: 'message', data: 'first\n second\n', id: '7' }]);
  });

  it('ends lines at CRLF, CR and LF alike', () => {
    for (const end of ['\r\n', '\r', '\n']) {
      expect(parseAll([`event: status${end}data: x${end}${end}`])).toEqual([{ event: 'status', data: 'x' }]);
    }
  });

  it('gives the same events however the text is split into chunks', () => {
    const text = 'event: status\r\ndata: {"status":"queued"}\r\n\r\n: keep-alive\r\n\r\nevent: error\rdata: {"error":"gone"}\r\r';
    const whole = parseAll([text]);
    expect(whole.map((event) => event.event)).toEqual(['status', 'error']);
    for (let cut = 0; cut <= text.length; cut += 1) {
      for (let second = cut; second <= text.length; second += 7) {
        expect(parseAll([text.slice(0, cut), text.slice(cut, second), text.slice(second)])).toEqual(whole);
      }
    }
  });

  it('dispatches nothing for an event without data, and drops an event the stream cut off', () => {
    expect(parseAll(['event: status\n\n'])).toEqual([]);
    expect(parseAll(['event: status\ndata: x\n'])).toEqual([]);
  });
});

describe('readServerSentEvents', () => {
  function byteStream(chunks: readonly Uint8Array[]): { stream: ReadableStream<Uint8Array>; cancelled: () => boolean } {
    let cancelled = false;
    const pending = [...chunks];
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        const chunk = pending.shift();
        if (chunk) controller.enqueue(chunk);
        else controller.close();
      },
      cancel() {
        cancelled = true;
      },
    });
    return { stream, cancelled: () => cancelled };
  }

  it('decodes UTF-8 split across chunks', async () => {
    const bytes = new TextEncoder().encode('data: «café» ∑\n\n');
    const chunks = Array.from(bytes, (byte) => Uint8Array.of(byte));
    const events: ServerSentEvent[] = [];
    for await (const event of readServerSentEvents(byteStream(chunks).stream)) events.push(event);
    expect(events).toEqual([{ event: 'message', data: '«café» ∑' }]);
  });

  it('cancels the body when the reader stops early', async () => {
    const encoder = new TextEncoder();
    const { stream, cancelled } = byteStream([encoder.encode('data: 1\n\n'), encoder.encode('data: 2\n\n')]);
    for await (const event of readServerSentEvents(stream)) {
      expect(event.data).toBe('1');
      break;
    }
    expect(cancelled()).toBe(true);
  });
});
