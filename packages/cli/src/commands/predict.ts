/**
 * `ensemble predict`: run every member on an input file and combine. With no
 * --manifest it runs the embedded example: the seed tutorial's ten MLPs on a
 * deterministic batch of 64.
 */
import { performance } from 'node:perf_hooks';
import {
  type CombineMode,
  type CompiledEnsemble,
  checkPrediction,
  combineModes,
  createEngine,
  type EngineName,
  type EngineOptions,
  type EnsembleEngine,
  EXAMPLE_BATCH,
  EXAMPLE_INPUT_SEED,
  EXAMPLE_WEIGHT_SEED,
  engineNames,
  formatShape,
  InputError,
  type InputMode,
  isEngineName,
  loadStackedEnsemble,
  type PredictionRequestOptions,
  parseManifest,
  predictionResult,
  type ResultTensors,
  randomInput,
  randomMembers,
  readPredictionResult,
  type StackedEnsemble,
  type Strategy,
  seedMlpManifest,
  stackFloat32Members,
  strategies,
  type Tensor,
  toFloat32,
  writeSafetensors,
} from '@ensembles/core';
import { readManifest, readTensors, writeBytes } from '../files.js';
import { UsageError } from '../usage-error.js';
import type { Command, CommandIO } from './command.js';
import { requireString } from './stack.js';

export const predictCommand: Command = {
  summary: 'run all members on an input (one vectorized pass) and combine their outputs',
  usage: [
    'ensemble predict --manifest model.json --weights stacked.safetensors --input input.safetensors',
    '                 [--per-member] [--combine none|mean|mean-softmax|vote|weighted] [--member-weights 1,2,...]',
    '                 [--uncertainty] [--engine onnx|tfjs] [--backend NAME] [--strategy vectorized|loop] [--threads N] [--out out.safetensors | --json]',
    'With no --manifest, predicts with the embedded example ensemble (10 MLPs, a batch of 64).',
  ].join('\n'),
  options: {
    manifest: { type: 'string' },
    weights: { type: 'string' },
    input: { type: 'string' },
    'per-member': { type: 'boolean' },
    combine: { type: 'string' },
    'member-weights': { type: 'string' },
    uncertainty: { type: 'boolean' },
    engine: { type: 'string' },
    backend: { type: 'string' },
    strategy: { type: 'string' },
    threads: { type: 'string' },
    out: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run({ values, positionals }, io) {
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
    const mode: InputMode = values['per-member'] ? 'per-member' : 'shared';
    const combine = oneOf(values.combine ?? 'none', combineModes, '--combine') as CombineMode;
    const strategy = oneOf(values.strategy ?? 'vectorized', strategies, '--strategy') as Strategy;
    const engineName = String(values.engine ?? 'onnx');
    if (!isEngineName(engineName)) throw new UsageError(`unknown --engine ${engineName}; available: ${engineNames.join(', ')}`);
    const threads = values.threads === undefined ? undefined : positiveInteger(values.threads, '--threads');
    const memberWeights = values['member-weights'] === undefined ? undefined : numberList(values['member-weights'], '--member-weights');
    if (values.out && values.json) throw new UsageError('give either --out or --json, not both');

    const { ensemble, input, source } = values.manifest === undefined ? exampleJob(values, mode) : fileJob(values);
    const request: PredictionRequestOptions = { mode, combine, weights: memberWeights, uncertainty: values.uncertainty === true };
    // Refused here, before the engine starts, rather than after the forward pass.
    checkPrediction(ensemble.architecture, input, request);
    const backend = values.backend === undefined ? undefined : String(values.backend);
    const engine = engineFor(engineName, { ...(threads === undefined ? {} : { threads }), ...(backend === undefined ? {} : { backend }) });
    try {
      const compiled = await engine.compile(ensemble);
      const backendName = compiled.backend;
      const members = await compiled.run(input, { mode, strategy });
      const summary = !values.out && !values.json;
      // The readable summary also shows what vectorizing buys: both strategies, timed warm.
      const timing = summary ? await compareStrategies(compiled, input, mode, members) : undefined;
      await compiled.dispose();

      const tensors = predictionResult(members, request, ensemble.architecture);
      const file = writeSafetensors(tensors);
      if (typeof values.out === 'string') {
        writeBytes(values.out, file);
        io.log(`wrote ${tensors.map((t) => `${t.name} ${formatShape(t.shape)}`).join(', ')} to ${values.out}`);
      } else {
        // The JSON and the summary show the file's tensors, read back as a stored result is.
        const result = readPredictionResult(file).tensors;
        if (values.json) io.write(`${JSON.stringify(outputJson(result))}\n`);
        else printSummary(io, { source, ensemble, input, mode, engine: `${engine.name} (${backendName})`, timing, combine, result });
      }
    } finally {
      await engine.dispose();
    }
  },
};

function exampleJob(values: Record<string, unknown>, mode: InputMode) {
  for (const flag of ['weights', 'input'] as const) {
    if (values[flag] !== undefined) throw new UsageError(`--${flag} needs --manifest`);
  }
  const architecture = parseManifest(seedMlpManifest);
  const ensemble = stackFloat32Members(architecture, randomMembers(architecture, EXAMPLE_WEIGHT_SEED));
  const lead = mode === 'shared' ? [EXAMPLE_BATCH] : [architecture.manifest.members, EXAMPLE_BATCH];
  const input = randomInput([...lead, ...architecture.manifest.input.shape], EXAMPLE_INPUT_SEED);
  return { ensemble, input, source: "the embedded example ensemble (the seed tutorial's 10 MLPs, seeded weights and input)" };
}

function fileJob(values: Record<string, unknown>): { ensemble: StackedEnsemble; input: Tensor; source: string } {
  const manifestPath = requireString(values.manifest, '--manifest');
  const weightsPath = requireString(values.weights, '--weights');
  const inputPath = requireString(values.input, '--input');
  const architecture = readManifest(manifestPath);
  const ensemble = loadStackedEnsemble(architecture, readTensors(weightsPath).tensors);
  const inputFile = readTensors(inputPath);
  const tensor = inputFile.tensors.get('input');
  if (!tensor) {
    const names = [...inputFile.tensors.keys()].join(', ') || 'none';
    // A bad file, not a bad command line: exit 1, as for an input of the wrong shape.
    throw new InputError(`${inputPath} has no tensor named "input" (it has: ${names})`);
  }
  return { ensemble, input: { shape: tensor.shape, data: toFloat32(tensor) }, source: manifestPath };
}

/**
 * The result tensors as JSON, by their names (as the REST API's `result`):
 * `{ shape, data }`, data flat and row-major, `null` where a value is not finite.
 */
function outputJson(result: ResultTensors): Record<string, { shape: readonly number[]; data: number[] }> {
  return Object.fromEntries(
    Object.entries(result).map(([name, { shape, data }]) => [
      name,
      { shape, data: data instanceof BigInt64Array ? Array.from(data, Number) : Array.from(data) },
    ]),
  );
}

interface Summary {
  source: string;
  ensemble: StackedEnsemble;
  input: Tensor;
  mode: InputMode;
  engine: string;
  timing: StrategyTiming | undefined;
  combine: CombineMode;
  result: ResultTensors;
}

function printSummary(io: CommandIO, s: Summary): void {
  const { manifest } = s.ensemble.architecture;
  io.log(`ensemble ${manifest.name}: ${manifest.members} members, from ${s.source}`);
  io.log(`input ${formatShape(s.input.shape)} (${s.mode}), engine ${s.engine}`);
  if (s.timing) {
    const { vectorizedMs, loopMs, maxDifference } = s.timing;
    io.log(
      `vectorized ${vectorizedMs.toFixed(2)} ms, member loop ${loopMs.toFixed(2)} ms (median of ${TIMED_RUNS}): ` +
        `${(loopMs / vectorizedMs).toFixed(1)}x; largest difference ${maxDifference.toExponential(1)}`,
    );
  }
  const { members, combined, predictiveEntropy, mutualInformation, disagreement } = s.result;
  io.log(`member outputs ${formatShape(members.shape)}`);
  const batch = members.shape[1] as number;
  const rows = Math.min(batch, 5);
  if (!combined) {
    io.log('(add --combine mean-softmax to see the ensemble prediction)');
    return;
  }
  const perRow = combined.data.length / batch;
  io.log(`combined (${s.combine}), first ${rows} of ${batch} samples:`);
  for (let b = 0; b < rows; b++) {
    const values: ArrayLike<number | bigint> = combined.data.subarray(b * perRow, Math.min((b + 1) * perRow, b * perRow + 10));
    const row = Array.from(values, (v) => (typeof v === 'bigint' ? String(v) : v.toFixed(3)));
    const extra =
      predictiveEntropy && mutualInformation && disagreement
        ? `  entropy ${(predictiveEntropy.data[b] as number).toFixed(3)}, mutual information ${(mutualInformation.data[b] as number).toFixed(3)}, disagreement ${(disagreement.data[b] as number).toFixed(2)}`
        : '';
    io.log(`  [${b}] ${row.join(' ')}${perRow > 10 ? ' ...' : ''}${extra}`);
  }
}

const TIMED_RUNS = 5;

interface StrategyTiming {
  vectorizedMs: number;
  loopMs: number;
  /** Largest absolute difference between the two strategies' outputs. */
  maxDifference: number;
}

async function compareStrategies(compiled: CompiledEnsemble, input: Tensor, mode: InputMode, members: Tensor): Promise<StrategyTiming> {
  const median = async (strategy: Strategy) => {
    const times: number[] = [];
    for (let i = 0; i < TIMED_RUNS; i++) {
      const started = performance.now();
      await compiled.run(input, { mode, strategy });
      times.push(performance.now() - started);
    }
    return times.sort((a, b) => a - b)[Math.floor(TIMED_RUNS / 2)] as number;
  };
  const loop = await compiled.run(input, { mode, strategy: 'loop' });
  let maxDifference = 0;
  for (let i = 0; i < loop.data.length; i++)
    maxDifference = Math.max(maxDifference, Math.abs((loop.data[i] as number) - (members.data[i] as number)));
  return { vectorizedMs: await median('vectorized'), loopMs: await median('loop'), maxDifference };
}

/** Creates the engine, turning a refused option (an unknown backend, say) into a usage error. */
export function engineFor(name: EngineName, options: EngineOptions): EnsembleEngine {
  try {
    return createEngine(name, options);
  } catch (error) {
    if (error instanceof RangeError) throw new UsageError(error.message);
    throw error;
  }
}

function oneOf(value: unknown, allowed: readonly string[], flag: string): string {
  if (typeof value !== 'string' || !allowed.includes(value))
    throw new UsageError(`${flag} must be one of ${allowed.join(', ')}; got ${String(value)}`);
  return value;
}

function positiveInteger(value: unknown, flag: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new UsageError(`${flag} must be a positive integer; got ${String(value)}`);
  return parsed;
}

function numberList(value: unknown, flag: string): number[] {
  const parts = String(value).split(',');
  const numbers = parts.map(Number);
  if (parts.some((p) => p.trim() === '') || numbers.some((n) => !Number.isFinite(n))) {
    throw new UsageError(`${flag} must be a comma-separated list of numbers; got ${String(value)}`);
  }
  return numbers;
}
