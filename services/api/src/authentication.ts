/**
 * API keys as bearer tokens, each bound to a tenant. Every route but
 * liveness, readiness and the API's documentation needs one; the request then acts as that tenant.
 * With no keys configured, authentication is off and every request is the
 * tenant `default` (the service says so at start-up).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DEFAULT_TENANT } from './app-context.js';
import { HttpError } from './http-errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The tenant the request acts as. */
    tenant: string;
  }
}

const OPEN_ROUTES = ['/v2/health/live', '/v2/health/ready', '/openapi.json'];
// The dashboard checks the admin key itself (queue-dashboard.ts); metrics are for the scraper.
const OPEN_PREFIXES = ['/docs', '/admin/queues', '/metrics'];

/**
 * True for the routes that need no API key (and that no rate limit counts),
 * judged by the route the router chose (its pattern), never by the raw URL,
 * so that no spelling of a URL reaches a tenant's route as an open one. A
 * URL that matches no route is not open.
 */
export function isOpenRoute(request: FastifyRequest): boolean {
  const route = request.routeOptions.url;
  if (route === undefined) return false;
  return OPEN_ROUTES.includes(route) || OPEN_PREFIXES.some((prefix) => route === prefix || route.startsWith(`${prefix}/`));
}

export function installAuthentication(app: FastifyInstance, keys: ReadonlyMap<string, string>): void {
  app.decorateRequest('tenant', DEFAULT_TENANT);
  if (keys.size === 0) return;
  // Keys are compared as SHA-256 digests in constant time, never as strings.
  const digests = [...keys].map(([key, tenant]) => ({ digest: sha256(key), tenant }));
  app.addHook('onRequest', async (request) => {
    if (isOpenRoute(request)) return;
    const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
    if (!match) throw new HttpError(401, 'UNAUTHORIZED', 'send an API key: Authorization: Bearer <key>');
    const digest = sha256(match[1] as string);
    const found = digests.find((entry) => timingSafeEqual(entry.digest, digest));
    if (!found) throw new HttpError(401, 'UNAUTHORIZED', 'the API key is not valid');
    request.tenant = found.tenant;
  });
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
