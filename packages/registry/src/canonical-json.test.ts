import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json.js';

describe('canonicalJson', () => {
  it('sorts the keys of every object, at any depth, and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: { f: 3, e: 4 } }, 'x'] })).toBe('{"a":[{"c":{"e":4,"f":3},"d":2},"x"],"b":1}');
  });

  it('writes the same text for the same value however it was built', () => {
    expect(canonicalJson({ name: 'm', input: { shape: [1], dtype: 'float32' } })).toBe(
      canonicalJson({ input: { dtype: 'float32', shape: [1] }, name: 'm' }),
    );
  });
});
