import { describe, expect, it } from 'vitest';
import { predictionOptionsSchema, predictionRequestSchema } from './prediction-options.js';

describe('prediction options', () => {
  it('fills the defaults a caller leaves out', () => {
    expect(predictionOptionsSchema.parse({})).toEqual({ mode: 'shared', combine: 'none', uncertainty: false });
  });

  it('refuses unknown modes and options, naming each by path', () => {
    const result = predictionOptionsSchema.safeParse({ mode: 'sideways', combine: 'median', weights: [1, -1], temperature: 2 });
    expect(result.success).toBe(false);
    const paths = result.error?.issues.map((issue) => issue.path.join('.') || issue.code);
    expect(paths).toEqual(expect.arrayContaining(['mode', 'combine', 'weights.1', 'unrecognized_keys']));
  });
});

describe('prediction request', () => {
  it('takes the options and an input tensor', () => {
    const request = predictionRequestSchema.parse({ input: { shape: [1, 3], data: [1, 2, 3] }, combine: 'mean' });
    expect(request).toEqual({ mode: 'shared', combine: 'mean', uncertainty: false, input: { shape: [1, 3], data: [1, 2, 3] } });
  });

  it('refuses values float32 cannot hold and shapes with a zero', () => {
    const result = predictionRequestSchema.safeParse({ input: { shape: [0, 3], data: [1e39] } });
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toEqual(['input.shape.0', 'input.data.0']);
  });
});
