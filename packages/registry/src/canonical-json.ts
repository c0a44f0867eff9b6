/**
 * Canonical JSON: `JSON.stringify` with every object's keys sorted, so that
 * the same manifest always hashes the same however its keys were ordered.
 */

/**
 * @example
 * canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] }); // '{"a":[{"c":3,"d":2}],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => (isPlainObject(item) ? sortedCopy(item) : item));
}

// JSON.stringify writes string keys in insertion order; a manifest has no
// integer-like keys (which objects would order first whatever the insertion).
function sortedCopy(object: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(object).sort()) copy[key] = object[key];
  return copy;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
