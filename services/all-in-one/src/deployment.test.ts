/**
 * The deployment files say what the README says: Redis with AOF and no
 * eviction, the API, scaled CPU workers, a GPU worker, and (profile
 * "monitoring") Prometheus scraping them all and Grafana with the service
 * dashboard, each file a container reads being where it is mounted from.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = new URL('../../../', import.meta.url);
const compose = parse(readFileSync(new URL('docker-compose.yml', root), 'utf8'));
const dockerfile = readFileSync(new URL('Dockerfile', root), 'utf8');

describe('docker-compose.yml', () => {
  it('has Redis with AOF and noeviction, the API, replicated workers and a GPU worker', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['api', 'grafana', 'prometheus', 'redis', 'worker', 'worker-gpu']);
    const redis = compose.services.redis.command.join(' ');
    expect(redis).toContain('--appendonly yes');
    expect(redis).toContain('--maxmemory-policy noeviction');
    expect(compose.services.worker.deploy.replicas).toBeGreaterThan(1);
    // Workers exit on a hung or crashed pass; they must come back.
    for (const name of ['api', 'worker', 'worker-gpu']) expect(compose.services[name].restart).toBe('unless-stopped');
    expect(compose.services['worker-gpu'].deploy.resources.reservations.devices[0]).toMatchObject({
      driver: 'nvidia',
      capabilities: ['gpu'],
    });
    expect(compose.services['worker-gpu'].environment).toMatchObject({ ENSEMBLE_ENGINE: 'tfjs', ENSEMBLE_BACKEND: 'tensorflow-gpu' });
  });

  it('checks health and waits for a healthy Redis; every build target exists', () => {
    for (const name of ['redis', 'api']) expect(compose.services[name].healthcheck.test).toBeDefined();
    for (const name of ['api', 'worker', 'worker-gpu']) {
      const service = compose.services[name];
      expect(service.depends_on.redis.condition).toBe('service_healthy');
      expect(service.environment.REDIS_URL).toBe('redis://redis:6379');
      expect(dockerfile).toMatch(new RegExp(`^FROM .* AS ${service.build.target}$`, 'm'));
    }
  });
});

/** The host file or folder that `service` mounts at `target` (a `./host:target[:ro]` volume). */
function mounted(service: { volumes: string[] }, target: string): URL {
  const volume = service.volumes.map((entry) => entry.split(':')).find(([, at]) => at === target);
  expect(volume, `a volume mounted at ${target}`).toBeDefined();
  const host = (volume as string[])[0] as string;
  expect(host.startsWith('./')).toBe(true);
  return new URL(host.slice(2), root);
}

/** Every `datasource` object in the dashboard, however deep. */
function datasources(node: unknown): { uid?: string }[] {
  if (Array.isArray(node)) return node.flatMap(datasources);
  if (typeof node !== 'object' || node === null) return [];
  return Object.entries(node).flatMap(([key, value]) =>
    key === 'datasource' && typeof value === 'object' && value !== null ? [value as { uid?: string }] : datasources(value),
  );
}

describe('the monitoring profile', () => {
  const { prometheus, grafana } = compose.services;
  const scrape = parse(readFileSync(mounted(prometheus, '/etc/prometheus/prometheus.yml'), 'utf8'));
  const jobs = new Map<string, { static_configs?: { targets: string[] }[]; dns_sd_configs?: { names: string[]; port: number }[] }>(
    scrape.scrape_configs.map((job: { job_name: string }) => [job.job_name, job]),
  );

  it('adds only Prometheus and Grafana, from their official images', () => {
    const inProfile = Object.keys(compose.services).filter((name) => compose.services[name].profiles?.includes('monitoring'));
    expect(inProfile.sort()).toEqual(['grafana', 'prometheus']);
    expect(prometheus.image).toMatch(/^prom\/prometheus:v\d/);
    expect(grafana.image).toMatch(/^grafana\/grafana:\d/);
  });

  it('scrapes the API on its port and every worker on its METRICS_PORT', () => {
    // The API listens on PORT, 3000 by default: the container's side of its port mapping.
    const apiPort = String(compose.services.api.ports[0]).split(':').at(-1);
    expect(jobs.get('ensembles-api')?.static_configs?.[0]?.targets).toEqual([`api:${apiPort}`]);
    const workers = jobs.get('ensembles-workers')?.dns_sd_configs ?? [];
    for (const name of ['worker', 'worker-gpu']) {
      const { METRICS_PORT, METRICS_HOST } = compose.services[name].environment;
      // Reachable from Prometheus' container: not the default 127.0.0.1.
      expect(METRICS_HOST).toBe('0.0.0.0');
      expect(workers.find((config) => config.names.includes(name))?.port).toBe(Number(METRICS_PORT));
    }
  });

  it('provisions Grafana with that Prometheus and the dashboard, which uses no other datasource', () => {
    const provisioning = mounted(grafana, '/etc/grafana/provisioning');
    const dashboards = mounted(grafana, '/etc/grafana/dashboards');
    const { datasources: provisioned } = parse(readFileSync(new URL('datasources/prometheus.yml', `${provisioning}/`), 'utf8'));
    expect(provisioned).toHaveLength(1);
    expect(provisioned[0]).toMatchObject({ type: 'prometheus', url: 'http://prometheus:9090', uid: expect.any(String) });
    expect(provisioned[0].jsonData.timeInterval).toBe(scrape.global.scrape_interval);
    const { providers } = parse(readFileSync(new URL('dashboards/ensembles.yml', `${provisioning}/`), 'utf8'));
    expect(providers[0].options.path).toBe('/etc/grafana/dashboards');
    const home = grafana.environment.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH as string;
    expect(home.startsWith('/etc/grafana/dashboards/')).toBe(true);
    const file = new URL(home.slice('/etc/grafana/dashboards/'.length), `${dashboards}/`);
    expect(existsSync(file)).toBe(true);
    const dashboard = JSON.parse(readFileSync(file, 'utf8'));
    const uids = new Set(datasources(dashboard).map((source) => source.uid));
    expect([...uids]).toEqual([provisioned[0].uid]);
    const panels = dashboard.panels.filter((panel: { type: string }) => panel.type !== 'row');
    expect(new Set(dashboard.panels.map((panel: { id: number }) => panel.id)).size).toBe(dashboard.panels.length);
    for (const panel of panels) expect(panel.targets.length, panel.title).toBeGreaterThan(0);
  });
});
