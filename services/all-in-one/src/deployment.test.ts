/** The deployment files say what the README says: Redis with AOF and no eviction, the API, scaled CPU workers, a GPU worker. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = new URL('../../../', import.meta.url);
const compose = parse(readFileSync(new URL('docker-compose.yml', root), 'utf8'));
const dockerfile = readFileSync(new URL('Dockerfile', root), 'utf8');

describe('docker-compose.yml', () => {
  it('has Redis with AOF and noeviction, the API, replicated workers and a GPU worker', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['api', 'redis', 'worker', 'worker-gpu']);
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
