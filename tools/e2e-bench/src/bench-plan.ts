/** What a run measures: every scenario chosen, in every configuration the options make, in the order they run. */
import type { BenchOptions } from './bench-options.js';
import type { Variant } from './run-scenario.js';
import type { Scenario } from './scenarios.js';

export interface PlannedVariant {
  readonly scenario: Scenario;
  readonly variant: Variant;
}

/**
 * Per scenario: micro-batching on and off, each worker count, each API count
 * (`--apis`, else the scenario's own), and each shard count (`--shards`, on a
 * local cluster; else none: one plain Redis).
 *
 * @example
 * planVariants(parseBenchOptions([])).map(({ scenario, variant }) => `${scenario.name} ${variant.apis}`);
 */
export function planVariants(options: Pick<BenchOptions, 'scenarios' | 'workerCounts' | 'apiCounts' | 'shardCounts'>): PlannedVariant[] {
  const shardings: (number | undefined)[] = options.shardCounts ? [...options.shardCounts] : [undefined];
  return options.scenarios.flatMap((scenario) =>
    [true, false].flatMap((batching) =>
      options.workerCounts.flatMap((workers) =>
        (options.apiCounts ?? scenario.apiCounts).flatMap((apis) =>
          shardings.map((shards) => ({ scenario, variant: { batching, workers, apis, ...(shards === undefined ? {} : { shards }) } })),
        ),
      ),
    ),
  );
}
