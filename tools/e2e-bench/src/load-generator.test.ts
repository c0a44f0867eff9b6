import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPhase } from './load-generator.js';

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

const spec = () => ({ url, headers: { 'content-type': 'application/json' }, body: Buffer.from('{}').toString('base64') });

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
    const result = await runPhase({ ...spec(), url: 'http://127.0.0.1:1/' }, { kind: 'open', rate: 50, durationMs: 100 });
    expect(result.ok).toBe(0);
    expect(result.failures['0']).toBe(result.sent);
  });
});
