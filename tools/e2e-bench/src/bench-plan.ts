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
 * (`--apis`, else the scenario's own).
 *
 * @example
 * planVariants(parseBenchOptions([])).map(({ scenario, variant }) => `${scenario.name} ${variant.apis}`);
 */
export function planVariants(options: Pick<BenchOptions, 'scenarios' | 'workerCounts' | 'apiCounts'>): PlannedVariant[] {
  return options.scenarios.flatMap((scenario) =>
    [true, false].flatMap((batching) =>
      options.workerCounts.flatMap((workers) =>
        (options.apiCounts ?? scenario.apiCounts).map((apis) => ({ scenario, variant: { batching, workers, apis } })),
      ),
    ),
  );
}
