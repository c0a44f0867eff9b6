/**
 * Lists the keys of a JSON object text in order, duplicates included —
 * `JSON.parse` silently keeps only the last of duplicated keys.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/**
 * The top-level keys of `json`, which must be text `JSON.parse` accepted as an
 * object. Keys are unescaped, so `"a"` and `"\u0061"` both give `a`.
 *
 * @example
 * topLevelKeys('{"a": {"b": 1}, "a": [2]}'); // ['a', 'a']
 */
export function topLevelKeys(json: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c === QUOTE) {
      const start = i;
      for (i++; i < json.length && json.charCodeAt(i) !== QUOTE; i++) {
        if (json.charCodeAt(i) === BACKSLASH) i++;
      }
      if (depth === 1 && expectKey) {
        keys.push(JSON.parse(json.slice(start, i + 1)) as string);
        expectKey = false;
      }
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth++;
      expectKey = depth === 1;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    } else if (c === COMMA && depth === 1) {
      expectKey = true;
    }
  }
  return keys;
}
