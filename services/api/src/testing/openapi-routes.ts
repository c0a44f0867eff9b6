/**
 * The routes the API documents, read from its own OpenAPI document, so that
 * tests cover every route, a new one included, without listing them: each
 * route's method, path, parameters, request body, and the statuses and
 * bodies it may answer with.
 */
import type { FastifyInstance } from 'fastify';
import { checkJsonSchema, type JsonSchema } from './json-schema-check.js';

export interface DocumentedParameter {
  readonly name: string;
  readonly in: 'path' | 'query' | 'header';
  readonly required: boolean;
  readonly schema: JsonSchema;
}

export interface DocumentedRoute {
  /** `GET`, `POST`, ... */
  readonly method: string;
  /** As documented: `/v1/jobs/{id}`. */
  readonly path: string;
  readonly parameters: readonly DocumentedParameter[];
  /** The JSON request body's schema, when the route takes one. */
  readonly body: JsonSchema | undefined;
  /** Documented statuses, each with its JSON body's schema (undefined: no body, or not JSON). */
  readonly responses: ReadonlyMap<number, JsonSchema | undefined>;
  /** Needs no API key (an empty `security`). */
  readonly open: boolean;
}

interface OpenApiOperation {
  parameters?: { name: string; in: string; required?: boolean; schema: JsonSchema }[];
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
  responses: Record<string, { content?: Record<string, { schema?: JsonSchema }> }>;
  security?: unknown[];
}

/** The documented routes of `app`, from `GET /openapi.json`. */
export async function documentedRoutes(app: FastifyInstance): Promise<DocumentedRoute[]> {
  const response = await app.inject({ method: 'GET', url: '/openapi.json' });
  const document = response.json() as { paths: Record<string, Record<string, OpenApiOperation>> };
  return Object.entries(document.paths).flatMap(([path, operations]) =>
    Object.entries(operations).map(([method, operation]) => ({
      method: method.toUpperCase(),
      path,
      parameters: (operation.parameters ?? []).map((p) => ({
        name: p.name,
        in: p.in as DocumentedParameter['in'],
        required: p.required === true,
        schema: p.schema,
      })),
      body: operation.requestBody?.content?.['application/json']?.schema,
      responses: new Map(
        Object.entries(operation.responses).map(([status, documented]) => [
          Number(status),
          documented.content?.['application/json']?.schema,
        ]),
      ),
      open: Array.isArray(operation.security) && operation.security.length === 0,
    })),
  );
}

/** `/v1/jobs/{id}` with `{ id: 'x y' }` → `/v1/jobs/x%20y`. */
export function fillPath(path: string, values: Readonly<Record<string, string>>): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(values[name] ?? 'x'));
}

export interface Answer {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string | string[] | number | undefined>>;
  readonly body: string;
}

/**
 * What is wrong with `answer` for `route`: an undocumented status, or a JSON
 * body that breaks the documented schema. Server-sent events and binary
 * results are checked for their content type only.
 */
export function answerProblems(route: DocumentedRoute, answer: Answer): string[] {
  const where = `${route.method} ${route.path} answered ${answer.statusCode}`;
  if (!route.responses.has(answer.statusCode)) return [`${where}, which it does not document (${answer.body.slice(0, 200)})`];
  const schema = route.responses.get(answer.statusCode);
  const type = String(answer.headers['content-type'] ?? '');
  if (answer.statusCode === 204) return answer.body === '' ? [] : [`${where} with a body`];
  if (type.startsWith('text/event-stream') || type.startsWith('application/octet-stream')) return [];
  if (!type.startsWith('application/json')) return [`${where} with content type ${type || 'none'}`];
  let body: unknown;
  try {
    body = JSON.parse(answer.body);
  } catch {
    return [`${where} with a body that is not JSON`];
  }
  if (!schema) return [];
  return checkJsonSchema(schema, body).map((problem) => `${where}: ${problem}`);
}
