/**
 * Which thread a vectorized pass runs on. Handing a pass to the engine's
 * thread costs a message each way and a thread waking up: 0.03-0.11 ms back
 * to back, 0.11-0.24 ms with passes spaced as a server's are, measured on a
 * loaded two-core machine (`measure-hand-over.ts`). A pass shorter than that
 * is cheaper on the caller's own thread, in time and in CPU, and blocks its
 * event loop for about as long as waiting for the hand-over would take.
 *
 * Passes are grouped by input mode and batch size rounded up to a power of two
 * (a server's micro-batches take every size from 1 to hundreds: timing each size
 * apart would keep the rare ones probing forever). The first passes of a group
 * time the engine's thread, then, unless their compute is far over the limit,
 * the caller's thread. The group stays on the caller's thread while its passes
 * there compute for less than the limit (the median of recent ones: the limit is
 * on how long the caller's event loop is blocked) and, as probed, return sooner
 * than the engine's thread did. A group sent to the engine's thread is probed
 * again now and then, if its compute times (which cost nothing to collect) say
 * it may fit, so that a moment of load does not decide for good.
 *
 * The policy only sees times it is given: `OnnxEngine` measures, this decides.
 */
import type { InputMode, PassThread } from '../engine.js';

/** Timed passes per thread when a group is probed, after one untimed warm-up each (a session's first pass of a shape allocates). */
export const PROBE_PASSES = 5;
/**
 * The caller's thread is not tried when the engine's compute is over this many
 * times the limit. Twice rather than once: the engine's pool of threads, woken
 * for every op, can compute a pass this short slower than one thread does (0.31
 * against 0.28 ms for the seed MLPs at batch 1 on a loaded machine), and a probe
 * pass of twice the limit still blocks the event loop for under a millisecond.
 */
export const PROBE_CALLER_UNDER = 2;
/** Passes on the caller's thread whose median compute time is checked against the limit. */
export const CALLER_WINDOW = 16;
/** Passes on the engine's thread after which a group whose compute may fit the limit is probed again. */
export const REPROBE_AFTER = 1024;

type Phase = 'probe-engine' | 'probe-caller' | 'caller' | 'engine';

interface Group {
  phase: Phase;
  /** Passes seen in this phase (the first of a probe is the untimed warm-up). */
  passes: number;
  engineMs: number[];
  engineComputeMs: number[];
  callerMs: number[];
  callerComputeMs: number[];
}

export class CallerThreadPolicy {
  private readonly groups = new Map<string, Group>();

  /** @param maxMs the longest pass the caller's thread takes (`EngineOptions.callerThreadMaxMs`) */
  constructor(private readonly maxMs: number) {}

  /** The group a pass belongs to. */
  static key(mode: InputMode, batch: number): string {
    return `${mode}:${2 ** Math.ceil(Math.log2(batch))}`;
  }

  /** The thread for the next pass of a group. */
  choose(key: string): PassThread {
    if (this.maxMs === Number.POSITIVE_INFINITY) return 'caller';
    if (!(this.maxMs > 0)) return 'engine';
    const phase = this.group(key).phase;
    return phase === 'probe-caller' || phase === 'caller' ? 'caller' : 'engine';
  }

  /**
   * A finished pass of a group: `ms` as its caller waited for it (hand-over
   * included), `computeMs` the time of the pass itself (on the caller's thread,
   * the time its event loop was blocked).
   */
  record(key: string, thread: PassThread, ms: number, computeMs: number): void {
    if (this.maxMs === Number.POSITIVE_INFINITY || !(this.maxMs > 0)) return;
    const group = this.group(key);
    // A pass chosen before the group changed phase (passes may overlap) says nothing about the new phase.
    if (thread !== this.choose(key)) return;
    group.passes++;
    switch (group.phase) {
      case 'probe-engine':
        if (group.passes === 1) return;
        group.engineMs.push(ms);
        group.engineComputeMs.push(computeMs);
        if (group.engineMs.length < PROBE_PASSES) return;
        this.enter(group, this.mayFit(group.engineComputeMs) ? 'probe-caller' : 'engine');
        return;
      case 'probe-caller': {
        if (group.passes === 1) return;
        group.callerMs.push(ms);
        group.callerComputeMs.push(computeMs);
        if (group.callerMs.length < PROBE_PASSES) return;
        const fits = median(group.callerComputeMs) <= this.maxMs && median(group.callerMs) < median(group.engineMs);
        this.enter(group, fits ? 'caller' : 'engine');
        return;
      }
      case 'caller':
        group.callerComputeMs.push(computeMs);
        if (group.callerComputeMs.length < CALLER_WINDOW) return;
        if (median(group.callerComputeMs) > this.maxMs) this.enter(group, 'engine');
        else group.callerComputeMs = [];
        return;
      case 'engine':
        group.engineComputeMs.push(computeMs);
        if (group.engineComputeMs.length > CALLER_WINDOW) group.engineComputeMs.shift();
        if (group.passes < REPROBE_AFTER) return;
        if (this.mayFit(group.engineComputeMs)) this.enter(group, 'probe-engine');
        else group.passes = 0;
        return;
    }
  }

  /** Whether passes with these compute times on the engine's thread may fit the limit on the caller's. */
  private mayFit(engineComputeMs: readonly number[]): boolean {
    return median(engineComputeMs) <= PROBE_CALLER_UNDER * this.maxMs;
  }

  private group(key: string): Group {
    let group = this.groups.get(key);
    if (!group) {
      group = { phase: 'probe-engine', passes: 0, engineMs: [], engineComputeMs: [], callerMs: [], callerComputeMs: [] };
      this.groups.set(key, group);
    }
    return group;
  }

  private enter(group: Group, phase: Phase): void {
    group.phase = phase;
    group.passes = 0;
    group.callerMs = [];
    group.callerComputeMs = [];
    if (phase === 'probe-engine') {
      group.engineMs = [];
      group.engineComputeMs = [];
    }
  }
}

/** The median of `values` (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  return sorted.length % 2 === 1
    ? (sorted[Math.floor(middle)] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}
