/**
 * How `ensemble bench` reports: a readable table (a header with the machine
 * and its GEMM roofline, one row per case, the vectorized-vs-loop speedup
 * after each pair) or one JSON object per case per line.
 */

import type { InputMode, KernelComparison, SgemmMeasurement, Strategy } from '@ensembles/core';
import type { CaseTiming } from './measure-case.js';
import { pairedSpeedup } from './measure-case.js';

export interface BenchMachine {
  readonly cpu: string;
  readonly threads: number;
  readonly date: Date;
  readonly roofline: SgemmMeasurement;
  /** The roofline's matrix side. */
  readonly rooflineSize: number;
  readonly runs: number;
  readonly warmUpRuns: number;
}

export interface BenchCase extends CaseTiming {
  readonly config: string;
  /** The engine as `createEngine` names it (`onnx`, `tfjs`). */
  readonly engine: string;
  /** The backend that ran it (`cpu` for ONNX Runtime, `wasm`, ...). */
  readonly backend: string;
  /** The `--engine` name (`onnx`, `tfjs-wasm`). */
  readonly target: string;
  readonly strategy: Strategy;
  readonly mode: InputMode;
  readonly members: number;
  readonly batch: number;
  readonly threads: number;
  readonly rooflineGflops: number;
  readonly notes: readonly string[];
}

const columns = [
  { title: 'config', width: 11, right: false },
  { title: 'batch', width: 5, right: true },
  { title: 'engine/backend', width: 14, right: false },
  { title: 'mode', width: 10, right: false },
  { title: 'strategy', width: 10, right: false },
  { title: 'median ms', width: 9, right: true },
  { title: 'p90 ms', width: 9, right: true },
  { title: 'samples/s', width: 11, right: true },
  { title: 'GFLOP/s', width: 8, right: true },
  { title: '% roofline', width: 10, right: true },
  { title: 'compute ms', width: 10, right: true },
  { title: '% roofline', width: 10, right: true },
] as const;

function cells(values: readonly string[]): string {
  return columns
    .map((column, i) => (column.right ? (values[i] ?? '').padStart(column.width) : (values[i] ?? '').padEnd(column.width)))
    .join('  ');
}

/** The GEMM roofline as measured `when` (it is measured again before every config). */
export function rooflineLine(machine: BenchMachine, when: string): string {
  const { roofline, rooflineSize: n, threads } = machine;
  return (
    `roofline ${when}: ONNX Runtime sgemm ${n}x${n}x${n} at ${threads} thread${threads === 1 ? '' : 's'}: ` +
    `${roofline.gflops.toFixed(1)} GFLOP/s (median ${roofline.medianMs.toFixed(2)} ms)`
  );
}

export function tableHeader(machine: BenchMachine): string[] {
  return [
    `ensemble bench, ${machine.date.toISOString()}`,
    `cpu ${machine.cpu}, ${machine.threads} thread${machine.threads === 1 ? '' : 's'}, Node ${process.version}`,
    rooflineLine(machine, 'at the start'),
    `each case: ${machine.warmUpRuns} warm-up runs, then ${machine.runs} timed, loop and vectorized runs interleaved; samples/s counts member-samples (members x batch); ` +
      'GFLOP/s = 2 x multiply-adds / median',
    '',
    cells(columns.map((column) => column.title)),
  ];
}

export function tableRow(c: BenchCase): string {
  return cells([
    c.config,
    String(c.batch),
    `${c.engine}/${c.backend}`,
    c.mode,
    c.strategy,
    milliseconds(c.medianMs),
    milliseconds(c.p90Ms),
    Math.round(c.samplesPerSecond).toLocaleString('en-US'),
    c.gflops.toFixed(1),
    `${((100 * c.gflops) / c.rooflineGflops).toFixed(1)}%`,
    milliseconds(c.computeMedianMs),
    `${((100 * c.computeGflops) / c.rooflineGflops).toFixed(1)}%`,
  ]);
}

/**
 * The loop-to-vectorized ratio of medians, with the interquartile range of the
 * interleaved per-pair ratios: vectorized is called SLOWER only when even the
 * upper quartile of those ratios is below 1, and "no faster" when the band
 * straddles 1 (the difference is within this machine's noise).
 */
export function speedupLine(loop: BenchCase, vectorized: BenchCase): string {
  const speedup = loop.medianMs / vectorized.medianMs;
  const band = pairedSpeedup(loop, vectorized);
  const verdict =
    band.high < 1
      ? `  SLOWER: vectorized takes ${(1 / speedup).toFixed(2)}x the loop's time`
      : band.low <= 1
        ? '  no faster: the difference is within the noise'
        : '';
  const indent = columns.slice(0, 4).reduce((width, column) => width + column.width + 2, 0);
  return `${' '.repeat(indent)}vectorized vs loop: ${speedup.toFixed(2)}x (paired runs ${band.low.toFixed(2)}-${band.high.toFixed(2)}x)${verdict}`;
}

/** The backend's kernel choices, timed: why the engine runs per-member kernels where it does. */
export function kernelLines(target: string, comparisons: readonly KernelComparison[]): string[] {
  return comparisons.map(({ work, oneKernel, perMember }) => {
    const ratio = oneKernel.medianMs / perMember.medianMs;
    const verdict = ratio >= 1 ? `${perMember.name} ${ratio.toFixed(2)}x faster` : `${oneKernel.name} ${(1 / ratio).toFixed(2)}x faster`;
    return `kernels (${target}): ${work}: ${oneKernel.name} ${milliseconds(oneKernel.medianMs)} ms, ${perMember.name} ${milliseconds(perMember.medianMs)} ms (${verdict})`;
  });
}

export function notesLine(target: string, config: string, notes: readonly string[]): string {
  return `  notes (${target}, ${config}): ${notes.join('; ')}`;
}

export function jsonLine(c: BenchCase): string {
  return JSON.stringify({
    config: c.config,
    engine: c.engine,
    backend: c.backend,
    target: c.target,
    strategy: c.strategy,
    mode: c.mode,
    members: c.members,
    batch: c.batch,
    threads: c.threads,
    runs: c.runs,
    medianMs: c.medianMs,
    p90Ms: c.p90Ms,
    samplesPerSecond: c.samplesPerSecond,
    gflops: c.gflops,
    computeMedianMs: c.computeMedianMs,
    computeGflops: c.computeGflops,
    rooflineGflops: c.rooflineGflops,
    peakRssMb: c.peakRssMb,
    notes: c.notes,
  });
}

function milliseconds(ms: number): string {
  return ms < 10 ? ms.toFixed(3) : ms.toFixed(2);
}
