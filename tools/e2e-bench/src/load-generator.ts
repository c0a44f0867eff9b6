/**
 * The load generator, a process of its own (forked by `LoadClient`) so that
 * making requests does not share an event loop with what measures them.
 *
 * Open loop: requests leave at the set rate whether or not earlier ones have
 * answered, and each latency counts from the moment its request was due, so a
 * stalled system cannot hide its queueing (no coordinated omission). Closed
 * loop: a fixed number of requests in flight, each sent when one answers; it
 * finds the most the system sustains. With several API processes, requests
 * go to each in turn, as behind a round-robin load balancer.
 */
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { RESULT_SUMMARY_METADATA } from '@ensembles/jobs';
import { summarize } from './statistics.js';

export interface RequestSpec {
  /** Where the requests go, taken in turn (round robin): one URL per API process, the same path on each. */
  readonly urls: readonly string[];
  readonly headers: Record<string, string>;
  /** The body, base64 (it crosses the process boundary as JSON). */
  readonly body: string;
}

export type Phase =
  | { readonly kind: 'open'; readonly rate: number; readonly durationMs: number }
  | { readonly kind: 'closed'; readonly concurrency: number; readonly durationMs: number };

export interface PhaseResult {
  readonly phase: Phase;
  readonly sent: number;
  readonly ok: number;
  /** Answers other than 200 by status (`0`: no answer), e.g. 202 when a result was not ready within `Prefer: wait`. */
  readonly failures: Record<string, number>;
  /** From the first request due to the last answer. */
  readonly elapsedMs: number;
  /** Answered (200) requests per second over `elapsedMs`. */
  readonly throughput: number;
  /** Milliseconds from due to answered, successful requests only. */
  readonly latencyMs: ReturnType<typeof summarize>;
  /** Means over successful requests of what the answers report: forward-pass time, jobs per pass. */
  readonly computeMs: number;
  readonly batchJobs: number;
}

/** What an answer says of its job: the JSON job view, or the `__metadata__` of a safetensors answer. */
function timingsOf(contentType: string | undefined, body: Buffer): { computeMs?: number; batchJobs?: number } {
  try {
    if (contentType?.startsWith('application/json')) return JSON.parse(body.toString('utf8')).timings ?? {};
    const headerLength = Number(body.readBigUInt64LE(0));
    const summary = JSON.parse(body.subarray(8, 8 + headerLength).toString('utf8')).__metadata__?.[RESULT_SUMMARY_METADATA];
    return summary ? JSON.parse(summary) : {};
  } catch {
    return {};
  }
}

/**
 * The URLs in turn, from the first: what a round-robin load balancer in front
 * of the API processes would do.
 *
 * @example
 * const next = roundRobin(['http://a/', 'http://b/']);
 * next(); // http://a/
 * next(); // http://b/
 * next(); // http://a/
 */
export function roundRobin<T>(items: readonly T[]): () => T {
  if (items.length === 0) throw new RangeError('round robin over nothing: give at least one URL');
  let next = 0;
  return () => {
    const item = items[next] as T;
    next = (next + 1) % items.length;
    return item;
  };
}

export async function runPhase(spec: RequestSpec, phase: Phase): Promise<PhaseResult> {
  const nextUrl = roundRobin(spec.urls.map((url) => new URL(url)));
  const body = Buffer.from(spec.body, 'base64');
  const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
  const headers = { ...spec.headers, 'content-length': String(body.byteLength) };
  const latencies: number[] = [];
  const failures: Record<string, number> = {};
  let sent = 0;
  let computeTotal = 0;
  let batchJobsTotal = 0;
  let lastAnswer = 0;

  const send = (due: number) =>
    new Promise<void>((resolve) => {
      sent++;
      const fail = (status: string) => {
        failures[status] = (failures[status] ?? 0) + 1;
        lastAnswer = performance.now();
        resolve();
      };
      const req = request(nextUrl(), { method: 'POST', agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', () => fail('0'));
        res.on('end', () => {
          if (res.statusCode !== 200) return fail(String(res.statusCode));
          lastAnswer = performance.now();
          latencies.push(lastAnswer - due);
          const timings = timingsOf(res.headers['content-type'], Buffer.concat(chunks));
          computeTotal += timings.computeMs ?? 0;
          batchJobsTotal += timings.batchJobs ?? 0;
          resolve();
        });
      });
      req.on('error', () => fail('0'));
      req.end(body);
    });

  const start = performance.now();
  const end = start + phase.durationMs;
  const inFlight: Promise<void>[] = [];
  if (phase.kind === 'closed') {
    const loop = async () => {
      while (performance.now() < end) await send(performance.now());
    };
    for (let i = 0; i < phase.concurrency; i++) inFlight.push(loop());
  } else {
    const interval = 1000 / phase.rate;
    await new Promise<void>((resolve) => {
      let due = start;
      const tick = () => {
        const now = performance.now();
        for (; due <= now && due < end; due += interval) inFlight.push(send(due));
        if (due < end) setTimeout(tick, Math.min(1, due - now));
        else resolve();
      };
      tick();
    });
  }
  await Promise.all(inFlight);
  agent.destroy();
  const elapsedMs = Math.max(lastAnswer, end) - start;
  const ok = latencies.length;
  return {
    phase,
    sent,
    ok,
    failures,
    elapsedMs,
    throughput: (ok * 1000) / elapsedMs,
    latencyMs: summarize(latencies),
    computeMs: ok ? computeTotal / ok : 0,
    batchJobs: ok ? batchJobsTotal / ok : 0,
  };
}

// As a forked process: run each phase the parent sends, answer with its result.
if (process.send) {
  process.on('message', (message: { spec: RequestSpec; phase: Phase }) => {
    runPhase(message.spec, message.phase).then(
      (result) => process.send?.({ result }),
      (error: unknown) => process.send?.({ error: String(error) }),
    );
  });
}
