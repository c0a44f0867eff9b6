/**
 * Compiled ensembles kept in memory, least recently used first out, within a
 * byte budget (counted as the stacked weights' size). A version is loaded
 * from the registry and compiled once, however many jobs ask for it at the
 * same time; a new version is simply another entry. An evicted ensemble is
 * disposed only once the passes using it have finished.
 */
import { type CompiledEnsemble, type EnsembleEngine, loadStackedEnsemble, readSafetensors } from '@ensembles/core';
import type { EnsembleRegistry } from '@ensembles/registry';

export interface EnsembleCacheStats {
  hits: number;
  loads: number;
  evictions: number;
  bytes: number;
  versions: string[];
}

interface Entry {
  readonly compiled: Promise<CompiledEnsemble>;
  bytes: number;
  /** Calls of `use` running on it. */
  users: number;
  evicted: boolean;
}

/** Where versions come from: the registry, or anything that reads like it. */
export type VersionSource = Pick<EnsembleRegistry, 'loadVersion' | 'loadWeights'>;

export class EnsembleCache {
  private readonly entries = new Map<string, Entry>();
  private readonly counters = { hits: 0, loads: 0, evictions: 0 };
  /** The backend the engine runs on, once it has compiled something. */
  backend: string | undefined;

  constructor(
    private readonly registry: VersionSource,
    private readonly engine: EnsembleEngine,
    /** @defaultValue 1 GiB */
    private readonly budgetBytes = 1 << 30,
    /** Called when a version has been compiled (e.g. to announce it). */
    private readonly onLoaded: () => void = () => undefined,
  ) {}

  /**
   * Runs `fn` with the compiled ensemble of `version` (loading and compiling it
   * on first use); the ensemble stays alive until `fn` settles, even if it is
   * evicted meanwhile.
   */
  async use<T>(version: string, fn: (compiled: CompiledEnsemble) => Promise<T>): Promise<T> {
    const entry = this.entry(version);
    entry.users++;
    try {
      return await fn(await entry.compiled);
    } finally {
      entry.users--;
      if (entry.evicted && entry.users === 0) void disposeEntry(entry);
    }
  }

  private entry(version: string): Entry {
    const cached = this.entries.get(version);
    if (cached) {
      this.counters.hits++;
      // Map order is insertion order: re-inserting marks the entry most recently used.
      this.entries.delete(version);
      this.entries.set(version, cached);
      return cached;
    }
    this.counters.loads++;
    const entry: Entry = { compiled: this.load(version, (bytes) => this.admit(version, entry, bytes)), bytes: 0, users: 0, evicted: false };
    this.entries.set(version, entry);
    entry.compiled.catch(() => this.entries.get(version) === entry && this.entries.delete(version));
    return entry;
  }

  stats(): EnsembleCacheStats {
    const bytes = [...this.entries.values()].reduce((total, entry) => total + entry.bytes, 0);
    return { ...this.counters, bytes, versions: [...this.entries.keys()] };
  }

  async dispose(): Promise<void> {
    const entries = [...this.entries.values()];
    this.entries.clear();
    await Promise.allSettled(entries.map(async (entry) => (await entry.compiled).dispose()));
  }

  private async load(version: string, sized: (bytes: number) => void): Promise<CompiledEnsemble> {
    const [{ architecture }, weights] = await Promise.all([this.registry.loadVersion(version), this.registry.loadWeights(version)]);
    sized(weights.byteLength);
    const compiled = await this.engine.compile(loadStackedEnsemble(architecture, readSafetensors(weights).tensors));
    this.backend = compiled.backend;
    this.onLoaded();
    return compiled;
  }

  /** Records an entry's size and evicts least recently used entries beyond the budget (never the newest). */
  private admit(version: string, entry: Entry, bytes: number): void {
    entry.bytes = bytes;
    let total = [...this.entries.values()].reduce((sum, e) => sum + e.bytes, 0);
    for (const [key, other] of this.entries) {
      if (total <= this.budgetBytes || key === version) break;
      this.entries.delete(key);
      total -= other.bytes;
      this.counters.evictions++;
      other.evicted = true;
      if (other.users === 0) void disposeEntry(other);
    }
  }
}

async function disposeEntry(entry: Entry): Promise<void> {
  await entry.compiled.then(
    (compiled) => compiled.dispose(),
    () => undefined,
  );
}
