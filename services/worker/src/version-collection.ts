/**
 * Deletes the ensemble versions that no name points at any more, once no
 * unfinished job needs them (`EnsembleRegistry.collectUnreferenced`), every
 * `intervalMs`. Several workers may collect at once: each version is checked
 * and deleted in one script.
 */
import type { EnsembleRegistry } from '@ensembles/registry';

export class VersionCollection {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly registry: Pick<EnsembleRegistry, 'collectUnreferenced'>,
    private readonly intervalMs = 60_000,
  ) {}

  start(): void {
    // Redis away, or a version being registered again: the next round tries again.
    this.timer = setInterval(() => this.registry.collectUnreferenced().catch(() => undefined), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
