/** The bench's command line, checked once: which scenarios and configurations, how long, where the figures go. */
import { parseArgs } from 'node:util';
import { type Scenario, scenarios } from './scenarios.js';

export interface BenchOptions {
  readonly scenarios: readonly Scenario[];
  /** Worker processes, one configuration each. */
  readonly workerCounts: readonly number[];
  /** API processes, one configuration each, for every scenario; absent: each scenario's own `apiCounts`. */
  readonly apiCounts?: readonly number[];
  /**
   * Queue shards (`QUEUE_SHARDS`), one configuration each, every one on a local Redis Cluster of `masters`
   * masters; absent: one plain `redis-server`, as a single-Redis deployment runs.
   */
  readonly shardCounts?: readonly number[];
  /** Masters of the local cluster that `shardCounts` runs on. */
  readonly masters: number;
  /** Length of each measured phase. */
  readonly phaseMs: number;
  /** Tiny jobs of the soak run; 0: no soak. */
  readonly soakJobs: number;
  /** Where the chart goes; empty: no chart. */
  readonly chart: string;
  /** The figures as one JSON document on stdout, instead of the table. */
  readonly json: boolean;
}

/** A command line the bench cannot run; the message names the option and what it takes. */
export class BenchOptionError extends Error {
  readonly code = 'BENCH_BAD_OPTION';

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = this.constructor.name;
  }
}

const MIN_PHASE_MS = 500;

function counts(option: string, value: string): number[] {
  return value.split(',').map((count) => {
    if (!/^[1-9]\d*$/.test(count)) throw new BenchOptionError(`--${option}: "${count}" is not a count (a whole number from 1)`);
    return Number(count);
  });
}

/**
 * The options from `args` (the arguments after the script), defaults spread first.
 *
 * @example
 * parseBenchOptions(['--scenario', 'tiny', '--apis', '1,3', '--json']);
 */
export function parseBenchOptions(args: readonly string[]): BenchOptions {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(args).values;
  } catch (error) {
    throw new BenchOptionError(error instanceof Error ? error.message : String(error), { cause: error });
  }
  const chosen = values.scenario.split(',').map((name) => {
    const scenario = scenarios.find((s) => s.name === name);
    if (!scenario)
      throw new BenchOptionError(`--scenario: no scenario named "${name}" (there are ${scenarios.map((s) => s.name).join(', ')})`);
    return scenario;
  });
  const phaseMs = Number(values['phase-ms']);
  if (!(phaseMs >= MIN_PHASE_MS)) throw new BenchOptionError(`--phase-ms must be at least ${MIN_PHASE_MS}, got "${values['phase-ms']}"`);
  const masters = Number(values.masters);
  if (!Number.isInteger(masters) || masters < 3)
    throw new BenchOptionError(`--masters must be 3 or more (a Redis Cluster's fewest), got "${values.masters}"`);
  const soakJobs = Number(values.soak);
  if (!Number.isInteger(soakJobs) || soakJobs < 0) throw new BenchOptionError(`--soak must be a count of jobs, got "${values.soak}"`);
  return {
    scenarios: chosen,
    workerCounts: counts('workers', values.workers),
    ...(values.apis === undefined ? {} : { apiCounts: counts('apis', values.apis) }),
    ...(values.shards === undefined ? {} : { shardCounts: counts('shards', values.shards) }),
    masters,
    phaseMs,
    soakJobs,
    chart: values.chart,
    json: values.json,
  };
}

function parse(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    strict: true,
    allowPositionals: false,
    options: {
      scenario: { type: 'string', default: scenarios.map((s) => s.name).join(',') },
      workers: { type: 'string', default: '1,2' },
      apis: { type: 'string' },
      shards: { type: 'string' },
      masters: { type: 'string', default: '3' },
      'phase-ms': { type: 'string', default: '3000' },
      soak: { type: 'string', default: '0' },
      chart: { type: 'string', default: 'docs/e2e-bench.svg' },
      json: { type: 'boolean', default: false },
    },
  });
}
