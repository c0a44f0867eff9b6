import { describe, expect, it } from 'vitest';
import { predictionJobDataSchema } from './prediction-job.js';

describe('prediction job schemas', () => {
  it("fills the options' defaults a caller leaves out", () => {
    const data = { tenant: 't', ensemble: 'mnist', version: 'a'.repeat(64), options: {}, inputShape: [1, 784], submittedAt: 1 };
    expect(predictionJobDataSchema.parse(data).options).toEqual({ mode: 'shared', combine: 'none', uncertainty: false });
  });

  it('names each bad field by path', () => {
    const result = predictionJobDataSchema.safeParse({
      tenant: '',
      ensemble: 'mnist',
      version: 'abc',
      options: { mode: 'sideways', combine: 'mean' },
      inputShape: [0, 784],
      submittedAt: 1,
    });
    expect(result.success).toBe(false);
    const paths = result.error?.issues.map((issue) => issue.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['tenant', 'version', 'options.mode', 'inputShape.0']));
  });
});
