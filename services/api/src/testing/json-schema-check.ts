/**
 * A small JSON Schema check for the schemas of the API's OpenAPI document
 * (OpenAPI 3.0's dialect, as generated from the zod schemas): it lists every
 * place where a value breaks its schema, and names any keyword it does not
 * know, so that a schema it cannot judge never passes unnoticed.
 */

export type JsonSchema = Record<string, unknown>;

const ANNOTATIONS = new Set(['description', 'title', 'default', 'examples', 'example', 'format', '$schema', 'readOnly', 'writeOnly']);
const KNOWN = new Set([
  ...ANNOTATIONS,
  'type',
  'nullable',
  'enum',
  'const',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'minItems',
  'maxItems',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'pattern',
  'anyOf',
  'oneOf',
  'allOf',
]);

/**
 * The problems of `value` against `schema`, each as `path: what`; none when it conforms.
 *
 * @example
 * checkJsonSchema({ type: 'object', required: ['id'] }, {}); // ['$: lacks required "id"']
 */
export function checkJsonSchema(schema: JsonSchema, value: unknown, path = '$'): string[] {
  const problems: string[] = [];
  const fail = (message: string) => problems.push(`${path}: ${message}`);
  for (const keyword of Object.keys(schema)) if (!KNOWN.has(keyword)) fail(`unknown schema keyword ${keyword}`);
  if (value === null && schema.nullable === true) return problems;
  if (schema.type !== undefined && !hasType(value, schema.type as string)) {
    fail(`expected ${String(schema.type)}, got ${JSON.stringify(value)?.slice(0, 80)}`);
    return problems;
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((item) => item === value))
    fail(`${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  if ('const' in schema && schema.const !== value) fail(`expected ${JSON.stringify(schema.const)}`);
  if (typeof value === 'number') {
    const { minimum, maximum, exclusiveMinimum, exclusiveMaximum } = schema as Record<string, number | boolean | undefined>;
    if (typeof minimum === 'number' && (exclusiveMinimum === true ? value <= minimum : value < minimum))
      fail(`${value} is below ${minimum}`);
    if (typeof maximum === 'number' && (exclusiveMaximum === true ? value >= maximum : value > maximum))
      fail(`${value} is above ${maximum}`);
    if (typeof exclusiveMinimum === 'number' && value <= exclusiveMinimum) fail(`${value} is not above ${exclusiveMinimum}`);
    if (typeof exclusiveMaximum === 'number' && value >= exclusiveMaximum) fail(`${value} is not below ${exclusiveMaximum}`);
  }
  if (typeof value === 'string') {
    if (typeof schema.minLength === 'number' && value.length < schema.minLength) fail(`shorter than ${schema.minLength}`);
    if (typeof schema.maxLength === 'number' && value.length > schema.maxLength) fail(`longer than ${schema.maxLength}`);
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value)) fail(`does not match ${schema.pattern}`);
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) fail(`fewer than ${schema.minItems} items`);
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) fail(`more than ${schema.maxItems} items`);
    if (isSchema(schema.items))
      for (const [i, item] of value.entries()) problems.push(...checkJsonSchema(schema.items, item, `${path}[${i}]`));
  }
  if (isObject(value)) {
    const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
    for (const name of (schema.required ?? []) as string[]) if (!(name in value)) fail(`lacks required ${JSON.stringify(name)}`);
    for (const [name, item] of Object.entries(value)) {
      const property = properties[name];
      if (property) problems.push(...checkJsonSchema(property, item, `${path}.${name}`));
      else if (schema.additionalProperties === false) fail(`has the undocumented property ${JSON.stringify(name)}`);
      else if (isSchema(schema.additionalProperties))
        problems.push(...checkJsonSchema(schema.additionalProperties, item, `${path}.${name}`));
    }
  }
  for (const part of (schema.allOf ?? []) as JsonSchema[]) problems.push(...checkJsonSchema(part, value, path));
  for (const keyword of ['anyOf', 'oneOf'] as const) {
    const options = schema[keyword] as JsonSchema[] | undefined;
    if (!options) continue;
    const passing = options.filter((option) => checkJsonSchema(option, value, path).length === 0).length;
    if (keyword === 'anyOf' ? passing === 0 : passing !== 1) fail(`matches ${passing} of the ${keyword} schemas`);
  }
  return problems;
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'object':
      return isObject(value);
    case 'array':
      return Array.isArray(value);
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'null':
      return value === null;
    default:
      return typeof value === type;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isSchema(value: unknown): value is JsonSchema {
  return isObject(value);
}
