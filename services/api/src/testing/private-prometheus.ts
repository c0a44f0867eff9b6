/**
 * A private Prometheus for tests, as `startPrivateRedis` is a private Redis:
 * the `prometheus` binary on a free port, scraping the given targets at a
 * short interval into a scratch directory, stopped (and its directory
 * removed) by `stop()`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitUntilReady } from '@ensembles/redis-testing';

export interface PrivatePrometheusOptions {
  /** The `prometheus` binary. */
  readonly binary: string;
  /** Scrape jobs by name, each with its `host:port` targets (`/metrics` on each). */
  readonly jobs: Readonly<Record<string, readonly string[]>>;
  /** @defaultValue '1s' */
  readonly scrapeInterval?: string;
}

/** One sample of an instant query's answer. */
export interface PromSample {
  readonly metric: Readonly<Record<string, string>>;
  readonly value: readonly [number, string];
}

export interface PrivatePrometheus {
  readonly url: string;
  /** Runs an instant query (`/api/v1/query`); throws with Prometheus' message when it refuses the expression. */
  query(expression: string): Promise<PromSample[]>;
  /** The values of `label` among the series of `match` (`/api/v1/label/{label}/values`). */
  labelValues(label: string, match: string): Promise<string[]>;
  /** Its last output, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * @example
 * const prometheus = await startPrivatePrometheus({ binary, jobs: { api: [`127.0.0.1:${port}`] } });
 * const up = await prometheus.query('up');
 * await prometheus.stop();
 */
export async function startPrivatePrometheus(options: PrivatePrometheusOptions): Promise<PrivatePrometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'ensembles-prometheus-'));
  const port = await freePort();
  const interval = options.scrapeInterval ?? '1s';
  // JSON is YAML: no YAML writer needed.
  const config = {
    global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
    scrape_configs: Object.entries(options.jobs).map(([name, targets]) => ({ job_name: name, static_configs: [{ targets }] })),
  };
  writeFileSync(join(dir, 'prometheus.yml'), JSON.stringify(config));
  const child: ChildProcess = spawn(
    options.binary,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8192);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise((resolve) => {
    child.once('exit', resolve);
    child.once('error', (error) => {
      output += `\n${error.message}`;
      resolve(null);
    });
  });
  // Never left behind, even when the test process ends without stopping it.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    process.off('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const api = async (path: string): Promise<unknown> => {
    const response = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(10_000) });
    const body = (await response.json()) as { status: string; data?: unknown; error?: string };
    if (body.status !== 'success') throw new Error(`Prometheus answered ${response.status} to ${decodeURIComponent(path)}: ${body.error}`);
    return body.data;
  };
  try {
    const gone = exited.then(() => {
      throw new Error('it exited');
    });
    await Promise.race([waitUntilReady(`${url}/-/ready`, undefined, 30_000), gone]);
  } catch (error) {
    await stop();
    throw new Error(`Prometheus did not start: ${(error as Error).message}\n${output}`);
  }
  return {
    url,
    async query(expression) {
      const data = (await api(`/api/v1/query?query=${encodeURIComponent(expression)}`)) as { resultType: string; result: unknown };
      // A scalar (e.g. `vector(0)` folded) has one value and no labels.
      if (data.resultType === 'scalar') return [{ metric: {}, value: data.result as [number, string] }];
      return data.result as PromSample[];
    },
    async labelValues(label, match) {
      return (await api(`/api/v1/label/${encodeURIComponent(label)}/values?match[]=${encodeURIComponent(match)}`)) as string[];
    },
    output: () => output,
    stop,
  };
}
