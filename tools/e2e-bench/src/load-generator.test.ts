import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roundRobin, runPhase } from './load-generator.js';

let server: Server;
let url: string;
let handled = 0;

beforeAll(async () => {
  // Answers after 20 ms; every fifth request with 503.
  server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      const n = ++handled;
      setTimeout(() => {
        if (n % 5 === 0) response.writeHead(503).end();
        else
          response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ timings: { computeMs: 2, batchJobs: 3 } }));
      }, 20);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

const spec = () => ({ urls: [url], headers: { 'content-type': 'application/json' }, body: Buffer.from('{}').toString('base64') });

describe('runPhase', () => {
  it('open loop: sends at the set rate whatever the answers, and times each from when it was due', async () => {
    handled = 0;
    const result = await runPhase(spec(), { kind: 'open', rate: 200, durationMs: 500 });
    expect(result.sent).toBeGreaterThanOrEqual(99);
    expect(result.sent).toBeLessThanOrEqual(101);
    expect(result.ok + (result.failures['503'] ?? 0)).toBe(result.sent);
    expect(result.failures['503']).toBe(Math.floor(result.sent / 5));
    expect(result.latencyMs.p50).toBeGreaterThanOrEqual(20);
    expect(result.computeMs).toBe(2);
    expect(result.batchJobs).toBe(3);
  });

  it('closed loop: keeps the set number of requests in flight', async () => {
    handled = 0;
    const result = await runPhase(spec(), { kind: 'closed', concurrency: 4, durationMs: 300 });
    // each request takes about 20 ms: 4 in flight for 300 ms is at most 4 x 15 requests
    expect(result.sent).toBeLessThanOrEqual(4 * 16);
    expect(result.sent).toBeGreaterThanOrEqual(4);
    expect(result.ok).toBe(result.sent - (result.failures['503'] ?? 0));
  });

  it('counts requests nobody answers as failures with status 0', async () => {
    const result = await runPhase({ ...spec(), urls: ['http://127.0.0.1:1/'] }, { kind: 'open', rate: 50, durationMs: 100 });
    expect(result.ok).toBe(0);
    expect(result.failures['0']).toBe(result.sent);
  });
});

describe('roundRobin', () => {
  it('takes the items in turn from the first, and starts over', () => {
    const next = roundRobin(['a', 'b', 'c']);
    expect(Array.from({ length: 7 }, next)).toEqual(['a', 'b', 'c', 'a', 'b', 'c', 'a']);
  });

  it('with one item, always that one; with none, an error naming the fix', () => {
    const next = roundRobin(['only']);
    expect([next(), next()]).toEqual(['only', 'only']);
    expect(() => roundRobin([])).toThrow(/at least one URL/);
  });
});

describe('runPhase over several URLs (one per API process)', () => {
  const servers: Server[] = [];
  const hits: string[][] = [];

  beforeAll(async () => {
    for (let i = 0; i < 3; i++) {
      const seen: string[] = [];
      hits.push(seen);
      const s = createServer((request, response) => {
        seen.push(request.url ?? '');
        request.resume();
        request.on('end', () => response.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
      });
      await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
      servers.push(s);
    }
  });
  afterAll(() => Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve)))));

  const urls = () => servers.map((s) => `http://127.0.0.1:${(s.address() as AddressInfo).port}/v1/ensembles/e/predictions?combine=mean`);

  it('sends the requests to each in turn: every server gets a third, on the same path', async () => {
    const result = await runPhase({ ...spec(), urls: urls() }, { kind: 'open', rate: 100, durationMs: 200 });
    expect(result.ok).toBe(result.sent);
    const counts = hits.map((seen) => seen.length);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(result.sent);
    // In turn from the first: the first servers get at most one more than the last.
    expect(counts).toEqual([0, 1, 2].map((i) => Math.floor(result.sent / 3) + (i < result.sent % 3 ? 1 : 0)));
    for (const seen of hits) expect(new Set(seen)).toEqual(new Set(['/v1/ensembles/e/predictions?combine=mean']));
  });
});
