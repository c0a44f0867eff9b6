/** Tests for the output plan: the defaults, what asked-for outputs imply, and the refusals. */
import { describe, expect, it } from 'vitest';
import { planOutputs } from './output-plan.js';

describe('planOutputs', () => {
  it('answers every tensor the parameters produce when no outputs are named', () => {
    expect(planOutputs()).toEqual({
      options: { mode: 'shared', combine: 'none', uncertainty: false },
      outputs: undefined,
      binaryByDefault: false,
    });
    expect(planOutputs({}, []).outputs).toBeUndefined();
    expect(planOutputs({ combine: 'vote', uncertainty: true, binary_data_output: true }).options).toEqual({
      mode: 'shared',
      combine: 'vote',
      uncertainty: true,
    });
  });

  it('implies the combine and uncertainty that the outputs asked for need', () => {
    expect(planOutputs({}, [{ name: 'combined' }]).options.combine).toBe('mean');
    expect(planOutputs({ weights: '1, 2' }, [{ name: 'combined' }]).options).toMatchObject({ combine: 'weighted', weights: [1, 2] });
    expect(planOutputs({ combine: 'vote' }, [{ name: 'combined' }]).options.combine).toBe('vote');
    expect(planOutputs({}, [{ name: 'disagreement' }]).options.uncertainty).toBe(true);
  });

  it('answers each output as binary data as asked, binary_data overriding binary_data_output', () => {
    const plan = planOutputs({ binary_data_output: true }, [
      { name: 'members', parameters: { binary_data: false } },
      { name: 'combined' },
      { name: 'expectedEntropy', parameters: { binary_data: true, anything: 'ignored' } },
    ]);
    expect(plan.outputs).toEqual([
      { name: 'members', binary: false },
      { name: 'combined', binary: true },
      { name: 'expectedEntropy', binary: true },
    ]);
  });

  it.each<[string, Parameters<typeof planOutputs>, string]>([
    [
      'unknown outputs',
      [{}, [{ name: 'output0' }, { name: 'predictive_entropy' }]],
      'outputs "output0", "predictive_entropy" are not produced',
    ],
    ['an output twice', [{}, [{ name: 'members' }, { name: 'members' }]], 'output "members" is asked for twice'],
    ['combined with combine none', [{ combine: 'none' }, [{ name: 'combined' }]], 'output "combined" needs a combine mode'],
    [
      'uncertainty outputs with uncertainty false',
      [{ uncertainty: false }, [{ name: 'mutualInformation' }]],
      'parameters.uncertainty is false',
    ],
    ['weights that are not numbers', [{ weights: '1,,2' }], 'parameters.weights: "" (weight 1)'],
    ['negative weights', [{ weights: '1,-2' }], 'parameters.weights: "-2" (weight 1)'],
  ])('refuses %s, naming it', (_what, args, message) => {
    expect(() => planOutputs(...args)).toThrow(message);
  });
});
