/**
 * `ensemble bench`: the seed tutorial's comparison (one member at a time
 * against one vectorized pass) for every config, engine and backend, in both
 * input modes, set against the machine's GEMM roofline measured in the same
 * run. It prints figures; it asserts nothing.
 */

import { availableParallelism, cpus } from 'node:os';
import {
  availableTfjsBackends,
  type CompiledEnsemble,
  createEngine,
  type EngineName,
  EXAMPLE_INPUT_SEED,
  EXAMPLE_WEIGHT_SEED,
  inputModes,
  measureSgemmGflops,
  parseManifest,
  probeTfjsKernels,
  randomArchitectureInput,
  randomMembers,
  type Strategy,
  stackFloat32Members,
  type TfjsBackend,
  tfjsBackends,
} from '@ensembles/core';
import {
  type BenchCase,
  type BenchMachine,
  jsonLine,
  kernelLines,
  notesLine,
  rooflineLine,
  speedupLine,
  tableHeader,
  tableRow,
} from '../bench/bench-report.js';
import { type BenchConfig, benchConfigNames, benchConfigs } from '../bench/configs.js';
import { type CaseTiming, measureStrategies } from '../bench/measure-case.js';
import { UsageError } from '../usage-error.js';
import type { Command, CommandIO } from './command.js';

/** Warm-up runs per strategy: enough for an engine to settle (TensorFlow.js on wasm and cpu times two schedules over its first 10 vectorized calls). */
const WARM_UP_RUNS = 10;
const ROOFLINE_SIZE = 1024;
/** The loop first, so that the speedup line follows the pair. */
const benchStrategies: readonly Strategy[] = ['loop', 'vectorized'];

/** An `--engine` name: an engine, and for TensorFlow.js one of its backends. */
interface EngineTarget {
  readonly name: string;
  readonly engine: EngineName;
  readonly backend?: TfjsBackend;
}

export const benchCommand: Command = {
  summary: 'time the member loop against the vectorized pass, per engine, against the GEMM roofline',
  usage: [
    'ensemble bench [--config NAME] [--engine NAME] [--threads N] [--runs N] [--json]',
    "Times the seed tutorial's comparison (member loop vs one vectorized pass) in both input modes",
    "for each config and engine, next to ONNX Runtime's sgemm 1024^3 GFLOP/s measured in the same run.",
    `  --config NAME  ${benchConfigs.map((c) => `${c.name} (${c.description})`).join(',\n                 ')}; default: all`,
    '  --engine NAME  onnx, or tfjs-<backend> for an installed TensorFlow.js backend',
    `                 (${tfjsBackends.map((b) => `tfjs-${b}`).join(', ')}); default: onnx and the fastest tfjs`,
    '                 backend installed. tfjs-cpu (plain JavaScript) runs only when named: it is far too slow',
    "                 for 50 runs of wide within the default run's 3 minutes.",
    "  --threads N    threads per forward pass and for the roofline (default: the machine's available parallelism)",
    `  --runs N       timed runs per case, after ${WARM_UP_RUNS} warm-up runs (default 50)`,
    '  --json         one JSON object per case per line (rooflineGflops in each), and for',
    '                 TensorFlow.js targets their kernel timings ("kind": "kernels")',
    'Repeat --config and --engine, or separate names with commas.',
  ].join('\n'),
  options: {
    config: { type: 'string', multiple: true },
    engine: { type: 'string', multiple: true },
    threads: { type: 'string' },
    runs: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run({ values, positionals }, io) {
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
    const configs = pick(names(values.config), benchConfigNames, '--config').map(
      (name) => benchConfigs.find((c) => c.name === name) as BenchConfig,
    );
    const targets = await engineTargets(names(values.engine));
    const threads = values.threads === undefined ? availableParallelism() : positiveInteger(values.threads, '--threads');
    const runs = values.runs === undefined ? 50 : positiveInteger(values.runs, '--runs');
    const json = values.json === true;

    const started = Date.now();
    const roofline = await measureSgemmGflops({ threads, size: ROOFLINE_SIZE });
    const machine: BenchMachine = {
      cpu: cpus()[0]?.model.trim() ?? 'unknown',
      threads,
      date: new Date(),
      roofline,
      rooflineSize: ROOFLINE_SIZE,
      runs,
      warmUpRuns: WARM_UP_RUNS,
    };
    if (!json) for (const line of tableHeader(machine)) io.log(line);

    for (const target of targets) {
      const engine = createEngine(target.engine, target.backend ? { threads, backend: target.backend } : { threads });
      try {
        if (target.backend) {
          const kernels = await probeTfjsKernels(target.backend);
          if (json) for (const k of kernels) io.log(JSON.stringify({ kind: 'kernels', target: target.name, ...k }));
          else for (const line of kernelLines(target.name, kernels)) io.log(line);
        }
        for (const config of configs) {
          // The roofline again, right before these cases (and before compiling, which leaves
          // work behind): this machine's GEMM rate drifts by tens of percent over a run, so each
          // config is set against the rate of its moment.
          const roofline = await measureSgemmGflops({ threads, size: ROOFLINE_SIZE });
          if (!json) io.log(rooflineLine({ ...machine, roofline }, `before ${target.name} ${config.name}`));
          const architecture = parseManifest(config.manifest);
          const compiled = await engine.compile(stackFloat32Members(architecture, randomMembers(architecture, EXAMPLE_WEIGHT_SEED)));
          try {
            await benchConfig({ io, json, machine: { ...machine, roofline }, target, config, compiled });
          } finally {
            await compiled.dispose();
          }
        }
      } finally {
        await engine.dispose();
      }
    }
    if (!json) {
      const seconds = ((Date.now() - started) / 1e3).toFixed(1);
      io.log(
        `\n${targets.map((t) => t.name).join(', ')} x ${configs.map((c) => c.name).join(', ')}: ${seconds} s, roofline and compiles included`,
      );
    }
  },
};

interface ConfigRun {
  readonly io: CommandIO;
  readonly json: boolean;
  readonly machine: BenchMachine;
  readonly target: EngineTarget;
  readonly config: BenchConfig;
  readonly compiled: CompiledEnsemble;
}

/** Every case of one config on one compiled ensemble: batch x mode x strategy. */
async function benchConfig({ io, json, machine, target, config, compiled }: ConfigRun): Promise<void> {
  const { manifest } = compiled.architecture;
  for (const batch of config.batches) {
    for (const mode of inputModes) {
      const lead = mode === 'shared' ? [batch] : [manifest.members, batch];
      const input = randomArchitectureInput(compiled.architecture, lead, EXAMPLE_INPUT_SEED);
      const pair = new Map<Strategy, BenchCase>();
      const timings = await measureStrategies(compiled, input, {
        mode,
        strategies: benchStrategies,
        runs: machine.runs,
        warmUpRuns: machine.warmUpRuns,
      });
      for (const strategy of benchStrategies) {
        const timing = timings.get(strategy) as CaseTiming;
        const result: BenchCase = {
          config: config.name,
          engine: target.engine,
          backend: compiled.backend,
          target: target.name,
          strategy,
          mode,
          members: manifest.members,
          batch,
          threads: machine.threads,
          rooflineGflops: machine.roofline.gflops,
          notes: [...compiled.notes],
          ...timing,
        };
        pair.set(strategy, result);
        io.log(json ? jsonLine(result) : tableRow(result));
      }
      if (!json) io.log(speedupLine(pair.get('loop') as BenchCase, pair.get('vectorized') as BenchCase));
    }
  }
  if (!json && compiled.notes.length > 0) io.log(notesLine(target.name, config.name, compiled.notes));
}

/** The engine targets named by --engine, or the default ones: onnx and the fastest tfjs backend but plain JavaScript. */
async function engineTargets(requested: string[] | undefined): Promise<EngineTarget[]> {
  const installed = await availableTfjsBackends();
  const available: EngineTarget[] = [
    { name: 'onnx', engine: 'onnx' },
    ...installed.map((backend) => ({ name: `tfjs-${backend}`, engine: 'tfjs' as const, backend })),
  ];
  if (requested === undefined) {
    const fastestTfjs = available.find((target) => target.engine === 'tfjs' && target.backend !== 'cpu');
    return fastestTfjs ? [available[0] as EngineTarget, fastestTfjs] : [available[0] as EngineTarget];
  }
  const availableNames = available.map((target) => target.name);
  for (const name of requested) {
    if (availableNames.includes(name)) continue;
    const missing = tfjsBackends.find((backend) => name === `tfjs-${backend}`);
    const why = missing ? ` (the TensorFlow.js backend ${missing} is not installed)` : '';
    throw new UsageError(`unknown --engine ${name}${why}; available here: ${availableNames.join(', ')}`);
  }
  return pick(requested, availableNames, '--engine').map((name) => available.find((target) => target.name === name) as EngineTarget);
}

/** Repeated and comma-separated flag values, in order, without duplicates; undefined when the flag is absent. */
function names(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  const all = (Array.isArray(value) ? value : [value]).flatMap((v) => String(v).split(',')).map((name) => name.trim());
  return [...new Set(all)];
}

function pick(requested: string[] | undefined, valid: readonly string[], flag: string): string[] {
  if (requested === undefined) return [...valid];
  for (const name of requested) {
    if (!valid.includes(name)) throw new UsageError(`unknown ${flag} ${name === '' ? '""' : name}; one of ${valid.join(', ')}`);
  }
  return requested;
}

function positiveInteger(value: unknown, flag: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new UsageError(`${flag} must be a positive integer; got ${String(value)}`);
  return parsed;
}
