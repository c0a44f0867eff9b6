/**
 * The Grafana dashboard (monitoring/grafana/dashboards/ensembles.json)
 * against a real Prometheus: an API process and a worker process (their
 * built `main.js`) on a private Redis, scraped every second by Debian's
 * `prometheus` with the jobs of monitoring/prometheus.yml, serve
 * predictions, bad requests, a readiness failure (Redis set to evict) and
 * jobs that fail (an ensemble whose stored weights are corrupt). Then every
 * expression of every panel, run through Prometheus' HTTP API with the
 * dashboard's variables as Grafana would fill them, must answer data: a
 * typo in a metric, a label or a function shows up as an empty panel here.
 * Skipped, saying so, where `prometheus` is not on the PATH. In the chaos
 * suite: it reads files outside this package (turbo's cache of `npm test`
 * would not see them change), and it runs real processes.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { redisKeys } from '@ensembles/jobs';
import { freePort } from '@ensembles/redis-testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findExecutable } from './testing/find-executable.js';
import { multipartBody } from './testing/multipart.js';
import { type PrivatePrometheus, startPrivatePrometheus } from './testing/private-prometheus.js';
import { type ServiceStack, startServiceStack } from './testing/service-stack.js';
import { tinyManifest, tinyWeights } from './testing/tiny-ensemble.js';

const monitoring = new URL('../../../monitoring/', import.meta.url);
const dashboard = JSON.parse(readFileSync(new URL('grafana/dashboards/ensembles.json', monitoring), 'utf8')) as Dashboard;
const scrapeConfig = readFileSync(new URL('prometheus.yml', monitoring), 'utf8');

interface Panel {
  readonly title: string;
  readonly type: string;
  readonly targets?: readonly { readonly expr: string }[];
  readonly panels?: readonly Panel[];
}
interface Variable {
  readonly name: string;
  readonly type: string;
  readonly definition: string;
  readonly allValue?: string;
}
interface Dashboard {
  readonly panels: readonly Panel[];
  readonly templating: { readonly list: readonly Variable[] };
}

/** Every panel's expressions, rows' nested panels included, each with its panel's title. */
function expressions(panels: readonly Panel[]): { panel: string; expr: string }[] {
  return panels.flatMap((panel) => [
    ...(panel.targets ?? []).map(({ expr }) => ({ panel: panel.title, expr })),
    ...expressions(panel.panels ?? []),
  ]);
}

const SCRAPE_INTERVAL_SECONDS = 1;
/**
 * Grafana's `$__rate_interval` is at least four scrape intervals (the
 * datasource's `timeInterval`); one more, for a busy machine's late scrapes.
 */
const RATE_INTERVAL = `${5 * SCRAPE_INTERVAL_SECONDS}s`;

/**
 * Every value selected, as Grafana writes a multi-value variable into a regex
 * matcher: `(a|b)`, each value's regex characters escaped, and that backslash
 * doubled inside PromQL's quoted string.
 */
function allSelected(values: readonly string[]): string {
  const escaped = values.map((value) => value.replace(/[.*+?^${}()|[\]\\]/g, '\\\\$&'));
  return escaped.length === 1 ? (escaped[0] as string) : `(${escaped.join('|')})`;
}

/** An expression as Grafana sends it: each variable as `values` gives it, Grafana's own intervals filled in. */
function asGrafanaSendsIt(expr: string, values: ReadonlyMap<string, string>): string {
  let filled = expr.replaceAll('$__rate_interval', RATE_INTERVAL);
  for (const [name, value] of values) filled = filled.replaceAll(`\${${name}}`, value).replaceAll(`$${name}`, value);
  expect(filled, 'an expression with a variable the test does not fill').not.toMatch(/\$\w/);
  return filled;
}

/** A query variable's metric and label: `label_values(metric, label)`. */
function labelValuesQuery(variable: Variable): { metric: string; label: string } {
  const match = /^label_values\((\w+),\s*(\w+)\)$/.exec(variable.definition);
  expect(match, `variable ${variable.name}: ${variable.definition}`).not.toBeNull();
  const [, metric, label] = match as RegExpExecArray;
  return { metric: metric as string, label: label as string };
}

const prometheusBinary = findExecutable('prometheus');
if (!prometheusBinary) {
  console.warn('monitoring.chaos.test.ts skipped: `prometheus` is not on the PATH (Debian: apt-get install prometheus)');
}

describe.skipIf(!prometheusBinary)('the service dashboard against a real Prometheus', () => {
  const prefix = 'monitoring';
  let stack: ServiceStack;
  let prometheus: PrivatePrometheus;
  let redis: Redis;
  let apiTarget: string;
  let workerTarget: string;

  beforeAll(async () => {
    const metricsPort = await freePort();
    stack = await startServiceStack({
      workers: 1,
      env: { REDIS_PREFIX: prefix, METRICS_PORT: String(metricsPort), METRICS_HOST: '127.0.0.1' },
    });
    redis = new Redis(stack.redis.url);
    apiTarget = new URL(stack.base).host;
    workerTarget = `127.0.0.1:${metricsPort}`;
    // The scrape jobs of monitoring/prometheus.yml, on this test's ports: the dashboard may name them (`up{job=...}`).
    const jobNames = [...scrapeConfig.matchAll(/job_name:\s*(\S+)/g)].map((match) => match[1]);
    expect(jobNames).toEqual(['ensembles-api', 'ensembles-workers']);
    prometheus = await startPrivatePrometheus({
      binary: prometheusBinary as string,
      jobs: { 'ensembles-api': [apiTarget], 'ensembles-workers': [workerTarget] },
      scrapeInterval: `${SCRAPE_INTERVAL_SECONDS}s`,
    });
  });

  afterAll(async () => {
    redis?.disconnect();
    await prometheus?.stop();
    await stack?.stop();
  });

  /** Registers an ensemble `corrupt` and overwrites its stored weights: the worker cannot load it, so its jobs fail. */
  async function registerCorruptEnsemble(): Promise<void> {
    const { payload, headers } = multipartBody([
      { name: 'manifest', content: JSON.stringify({ ...tinyManifest, name: 'corrupt' }) },
      { name: 'weights', filename: 'corrupt.safetensors', content: tinyWeights },
    ]);
    const upload = await fetch(`${stack.base}/v1/ensembles`, { method: 'POST', body: payload, headers });
    expect(upload.status).toBe(201);
    const { version } = (await upload.json()) as { version: string };
    await redis.set(redisKeys(prefix).weightsChunk(version, 0), 'not the weights');
  }

  /** One round of traffic: predictions (one waited for), client errors, a server error, a job that fails. */
  async function traffic(): Promise<void> {
    const post = (path: string, body: unknown) =>
      fetch(`${stack.base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const [submitted, waited, ...statuses] = await Promise.all([
      Promise.all([stack.submit(), stack.submit(), stack.submit()]),
      stack.submitAndWait(20),
      post('/v1/ensembles/corrupt/predictions', { input: { shape: [1, 3], data: [1, 2, 3] } }).then((r) => r.status),
      post('/v1/ensembles/tiny/predictions', { input: { shape: [1, 4], data: [1, 2, 3, 4] } }).then((r) => r.status),
      fetch(`${stack.base}/v1/ensembles/missing`).then((r) => r.status),
    ]);
    expect(submitted.map((answer) => answer.status)).toEqual([202, 202, 202]);
    expect(waited.status).toBe('completed');
    expect(statuses).toEqual([202, 400, 404]);
    // Readiness fails (503) while Redis may evict keys.
    await redis.config('SET', 'maxmemory-policy', 'allkeys-lru');
    const ready = await fetch(`${stack.base}/v2/health/ready`).then((r) => r.status);
    await redis.config('SET', 'maxmemory-policy', 'noeviction');
    expect(ready).toBe(503);
  }

  it('has expressions in every panel, and covers every metric the API and the workers serve', async () => {
    const found = expressions(dashboard.panels);
    const panels = dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]).filter((panel) => panel.type !== 'row');
    for (const panel of panels) expect(panel.targets?.length, `panel "${panel.title}"`).toBeGreaterThan(0);
    const served = async (target: string) =>
      [...(await (await fetch(`http://${target}/metrics`)).text()).matchAll(/^# TYPE (\S+) (\S+)$/gm)].map(([, name, type]) =>
        // A histogram is queried by its series: `_bucket`, `_sum`, `_count`.
        type === 'histogram' ? `${name}_` : (name as string),
      );
    const metrics = [...(await served(apiTarget)), ...(await served(workerTarget))];
    expect(metrics.length).toBeGreaterThan(8);
    const all = found.map(({ expr }) => expr).join('\n');
    for (const metric of metrics) expect(all, `no panel shows ${metric}`).toContain(metric);
  });

  it('answers data for every expression of the dashboard, with its variables at All and at every value', async () => {
    await registerCorruptEnsemble();
    const panels = expressions(dashboard.panels);
    const variables = dashboard.templating.list;
    for (const variable of variables) expect(variable.allValue, `variable ${variable.name} has an allValue`).toBeDefined();
    const atAll = new Map(variables.map((variable) => [variable.name, variable.allValue as string]));
    // Traffic goes on until every panel shows something: a rate needs two scrapes that saw its series change.
    const started = Date.now();
    let missing: string[] = [];
    let rounds = 0;
    let queried = 0;
    while (Date.now() - started < 30_000) {
      await traffic();
      rounds++;
      // Each variable with every value its query lists selected: a filter on a misspelled label matches nothing then
      // (at All, `.*`, it would match the label's absence too).
      const listed = await Promise.all(
        variables.map(async (variable) => {
          const { metric, label } = labelValuesQuery(variable);
          return [variable.name, await prometheus.labelValues(label, metric)] as const;
        }),
      );
      missing = listed.filter(([, values]) => values.length === 0).map(([name]) => `variable ${name}: no values`);
      const atEvery = new Map(listed.map(([name, values]) => [name, allSelected(values)]));
      const queries = panels.flatMap(({ panel, expr }) => [
        { panel, expr: asGrafanaSendsIt(expr, atAll) },
        { panel, expr: asGrafanaSendsIt(expr, atEvery) },
      ]);
      queried = queries.length;
      const answers = await Promise.all(queries.map(({ expr }) => prometheus.query(expr)));
      // Data: at least one series with a number (a quantile over no observations is NaN).
      missing.push(
        ...queries.flatMap(({ panel, expr }, i) => {
          const samples = answers[i] ?? [];
          return samples.some(({ value }) => Number.isFinite(Number(value[1]))) ? [] : [`${panel}: ${expr} → ${JSON.stringify(samples)}`];
        }),
      );
      if (missing.length === 0) {
        // The ensembles that ran are what the ensemble variable offers.
        expect(listed).toContainEqual(['ensemble', expect.arrayContaining(['tiny', 'corrupt'])]);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    console.log(
      `monitoring.chaos.test.ts: ${queried} queries (${panels.length} expressions) answered data after ${rounds} rounds of traffic, ${Date.now() - started} ms`,
    );
    expect(missing, `expressions without data:\n${missing.join('\n')}\n${prometheus.output()}`).toEqual([]);
  });

  it.skipIf(!findExecutable('promtool'))('ships a Prometheus configuration that promtool accepts', () => {
    expect(() =>
      execFileSync('promtool', ['check', 'config', new URL('prometheus.yml', monitoring).pathname], { stdio: 'pipe' }),
    ).not.toThrow();
  });
});
