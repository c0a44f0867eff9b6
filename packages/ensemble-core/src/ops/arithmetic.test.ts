import { describe, expect, it } from 'vitest';
import { ManifestError } from '../errors/ensemble-error.js';
import { parseManifest } from '../manifest/parse-manifest.js';
import { describeOnEveryEngine } from '../testing/check-engines.js';

// A residual block written as a graph: a per-member parameter added with broadcasting,
// a literal scale, a residual addition, and every arithmetic op.
describeOnEveryEngine('arithmetic', {
  name: 'arithmetic',
  members: 3,
  input: { shape: [4, 6] },
  layers: [
    { op: 'parameter', name: 'offset', shape: [1, 6] },
    { op: 'constant', name: 'half', shape: [], value: [0.5] },
    { op: 'constant', name: 'two', shape: [1], value: [2] },
    { op: 'add', name: 'shifted', inputs: ['input', 'offset'] },
    { op: 'linear', name: 'fc', in: 6, out: 6 },
    { op: 'mul', name: 'scaled', inputs: ['fc', 'half'] },
    { op: 'sub', name: 'diff', inputs: ['scaled', 'input'] },
    { op: 'pow', name: 'squared', inputs: ['diff', 'two'] },
    { op: 'add', name: 'one_more', inputs: ['squared', 'two'] },
    { op: 'div', name: 'ratio', inputs: ['diff', 'one_more'] },
    { op: 'add', name: 'residual', inputs: ['ratio', 'shifted'] },
  ],
});

describe('arithmetic shape rules', () => {
  it('refuses shapes that do not broadcast, naming both', () => {
    expect(() =>
      parseManifest({
        name: 'bad',
        members: 2,
        input: { shape: [4, 6] },
        layers: [
          { op: 'parameter', name: 'p', shape: [5] },
          { op: 'add', name: 'sum', inputs: ['input', 'p'] },
        ],
      }),
    ).toThrow(ManifestError);
    try {
      parseManifest({
        name: 'bad',
        members: 2,
        input: { shape: [4, 6] },
        layers: [
          { op: 'parameter', name: 'p', shape: [5] },
          { op: 'add', name: 'sum', inputs: ['input', 'p'] },
        ],
      });
    } catch (error) {
      expect((error as ManifestError).issues).toEqual([
        { path: 'layers[1]', message: 'add shapes [batch, 4, 6] and [5] do not broadcast' },
      ]);
    }
  });

  it('refuses an input that names no earlier value', () => {
    expect(() =>
      parseManifest({ name: 'bad', members: 2, input: { shape: [3] }, layers: [{ op: 'add', name: 'sum', inputs: ['input', 'later'] }] }),
    ).toThrow(/"later" is not the input or the name of an earlier layer/);
  });
});
