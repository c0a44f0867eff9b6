import { describe, expect, it } from 'vitest';
import { BenchOptionError, parseBenchOptions } from './bench-options.js';
import { planVariants } from './bench-plan.js';
import { scenarios } from './scenarios.js';

const describeVariants = (args: string[]) =>
  planVariants(parseBenchOptions(args)).map(
    ({ scenario, variant }) => `${scenario.name} ${variant.batching ? 'on' : 'off'} w${variant.workers} a${variant.apis}`,
  );

describe('the default run', () => {
  const plan = planVariants(parseBenchOptions([]));

  it('runs every scenario, wide-b1 included, each with micro-batching on and off on 1 and 2 workers', () => {
    expect([...new Set(plan.map(({ scenario }) => scenario.name))]).toEqual(['tiny', 'seed-b1', 'seed-b64', 'wide-b1']);
    for (const name of ['tiny', 'seed-b1', 'seed-b64', 'wide-b1']) {
      const configurations = new Set(
        plan.filter(({ scenario }) => scenario.name === name).map(({ variant: v }) => `${v.batching} ${v.workers}`),
      );
      expect(configurations).toEqual(new Set(['true 1', 'true 2', 'false 1', 'false 2']));
    }
  });

  it('runs tiny with 1 and 3 API processes, every other scenario with 1', () => {
    expect(describeVariants([]).filter((line) => line.startsWith('tiny'))).toEqual([
      'tiny on w1 a1',
      'tiny on w1 a3',
      'tiny on w2 a1',
      'tiny on w2 a3',
      'tiny off w1 a1',
      'tiny off w1 a3',
      'tiny off w2 a1',
      'tiny off w2 a3',
    ]);
    expect(plan.filter(({ scenario }) => scenario.name !== 'tiny').every(({ variant }) => variant.apis === 1)).toBe(true);
    expect(plan).toHaveLength(8 + 3 * 4);
  });

  it('wide-b1 is 64 members of 784-512-512-10, one sample per request: 171 MB of float32 weights', () => {
    const wide = scenarios.find((s) => s.name === 'wide-b1');
    expect(wide?.rows).toBe(1);
    expect(wide?.manifest.members).toBe(64);
    const linear = wide?.manifest.layers.filter((l) => l.op === 'linear') ?? [];
    const parameters = linear.reduce((total, l) => total + ('in' in l && 'out' in l ? (l.in + 1) * l.out : 0), 0);
    expect((parameters * 64 * 4) / 1e6).toBeCloseTo(171.4, 0);
  });
});

describe('parseBenchOptions', () => {
  it('--apis sets the API processes of every chosen scenario', () => {
    expect(describeVariants(['--scenario', 'tiny,wide-b1', '--workers', '1', '--apis', '2'])).toEqual([
      'tiny on w1 a2',
      'tiny off w1 a2',
      'wide-b1 on w1 a2',
      'wide-b1 off w1 a2',
    ]);
  });

  it('a short run: one scenario, one worker count, short phases, no chart, JSON', () => {
    expect(parseBenchOptions(['--scenario', 'tiny', '--workers', '1', '--phase-ms', '500', '--chart', '', '--json'])).toMatchObject({
      scenarios: [{ name: 'tiny' }],
      workerCounts: [1],
      phaseMs: 500,
      chart: '',
      json: true,
    });
  });

  it('--shards: each configuration once per shard count, on a cluster of --masters', () => {
    const options = parseBenchOptions(['--scenario', 'tiny', '--workers', '1', '--apis', '1', '--shards', '1,3']);
    expect(options).toMatchObject({ shardCounts: [1, 3], masters: 3 });
    expect(planVariants(options).map(({ variant }) => `${variant.batching} ${variant.shards}`)).toEqual([
      'true 1',
      'true 3',
      'false 1',
      'false 3',
    ]);
    expect(planVariants(parseBenchOptions([])).every(({ variant }) => variant.shards === undefined)).toBe(true);
  });

  it.each([
    [['--shards', '0'], /--shards: "0" is not a count/],
    [['--masters', '2'], /--masters must be 3 or more/],
    [['--apis', '0'], /--apis: "0" is not a count/],
    [['--workers', '1,x'], /--workers: "x" is not a count/],
    [['--scenario', 'huge'], /no scenario named "huge" \(there are tiny, seed-b1, seed-b64, wide-b1\)/],
    [['--phase-ms', '100'], /--phase-ms must be at least 500/],
    [['--soak=1.5'], /--soak must be a count of jobs/],
    [['--api', '3'], /--api/],
  ])('refuses %j, naming the option', (args, message) => {
    expect(() => parseBenchOptions(args)).toThrow(BenchOptionError);
    expect(() => parseBenchOptions(args)).toThrow(message);
  });
});
