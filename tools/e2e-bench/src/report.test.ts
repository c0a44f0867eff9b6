import { describe, expect, it } from 'vitest';
import { markdownTable, redisTable, reportOutput, targets } from './report.js';
import { report, variant } from './testing/report-fixture.js';

describe('the report', () => {
  it('holds each figure to its target', () => {
    const lines = targets(report);
    expect(lines).toContain('tiny: 500 jobs/s through the API (batching on, 1 worker) = 50% of BullMQ alone (1000); target >= 50%: met');
    expect(lines.find((line) => line.startsWith('tiny: CPU per job'))).toMatch(/; target <= 2\.0 ms: (met|NOT met)$/);
    expect(lines.find((line) => line.startsWith('tiny: p50 at 25% load'))).toMatch(
      /^tiny: p50 at 25% load 6\.0 ms \(target <= 4 ms: NOT met\); p99 at 50% load 30 ms \(target < 20 ms: NOT met\)$/,
    );
    expect(lines.find((line) => line.startsWith('seed-b1, 1 worker'))).toMatch(/= 6\.0x$/);
    expect(lines.find((line) => line.startsWith('tiny: 3 APIs'))).toMatch(/ = 3\.00x; target <= 1\.25x: NOT met$/);
    // Where both ran the common rate, the verdict is on what an API process costs per job at the same load.
    const atCommonRate = {
      ...report,
      variants: report.variants.map((v) =>
        v.scenario === 'tiny'
          ? { ...v, commonRate: { ...v.saturation, rate: 600, cpuMsPerJob: { workers: 0.3, api: v.apis === 1 ? 0.4 : 0.48 } } }
          : v,
      ),
    };
    expect(targets(atCommonRate).find((line) => line.startsWith('tiny: 3 APIs'))).toMatch(
      /over the whole run 3\.75 vs 1\.25 = 3\.00x; at the same 600 requests\/s, 0\.48 vs 0\.40 = 1\.20x; target <= 1\.25x: met$/,
    );
    expect(lines.find((line) => line.startsWith('wide-b1, 1 worker'))).toBe(
      'wide-b1, 1 worker: micro-batching on 400 (2.0 jobs per pass) vs off 50.0 jobs/s = 8.0x; target >= 5x: met',
    );
  });

  it('has one table row per scenario and configuration, with the API processes and their summed CPU per job in columns of their own', () => {
    const lines = markdownTable(report).split('\n');
    const header = (lines[0] ?? '').split('|').map((cell) => cell.trim());
    const apis = header.indexOf('APIs');
    const cpu = header.indexOf('CPU ms per job: workers / APIs / Redis / load');
    expect(apis).toBeGreaterThan(0);
    expect(cpu).toBeGreaterThan(0);
    const tiny = lines.filter((line) => line.startsWith('| tiny')).map((line) => line.split('|').map((cell) => cell.trim()));
    expect(tiny.map((cells) => cells[apis])).toEqual(['1', '3']);
    expect(tiny.map((cells) => cells[cpu])).toEqual(['1.00 / 1.25 / 0.50 / 0.20', '1.00 / 3.75 / 0.50 / 0.20']);
    expect(lines.filter((line) => line.startsWith('| seed-b1'))).toHaveLength(2);
    expect(lines.filter((line) => line.startsWith('| wide-b1'))).toHaveLength(2);
  });

  it('--json: stdout is the JSON document alone, every variant with its API processes', () => {
    const output = reportOutput(report, { json: true, chart: 'chart.svg' });
    const parsed = JSON.parse(output);
    expect(parsed).toEqual(JSON.parse(JSON.stringify(report)));
    expect(Object.keys(parsed)).toEqual(['date', 'cpu', 'cores', 'phaseMs', 'workerConcurrency', 'bullmq', 'engine', 'variants']);
    for (const v of parsed.variants) {
      expect(v).toMatchObject({
        scenario: expect.any(String),
        batching: expect.any(Boolean),
        workers: expect.any(Number),
        apis: expect.any(Number),
        saturation: { throughput: expect.any(Number) },
        cpuMsPerJob: { workers: expect.any(Number), api: expect.any(Number), redis: expect.any(Number) },
      });
      expect(v.loads.map((l: { fraction: number }) => l.fraction)).toEqual([0.25, 0.5, 0.75]);
    }
    expect(parsed.variants.filter((v: { scenario: string }) => v.scenario === 'tiny').map((v: { apis: number }) => v.apis)).toEqual([1, 3]);
    expect(parsed.engine['wide-b1']).toMatchObject({ rows: 1, throughput: 60 });
    expect(output).not.toContain('chart');
  });

  it('without --json: the table, the targets and where the chart went', () => {
    const output = reportOutput(report, { json: false, chart: 'chart.svg' });
    expect(output).toContain(markdownTable(report));
    expect(output).toContain('Targets:\n- tiny: 500 jobs/s');
    expect(output).toContain('worker concurrency 16');
    expect(output.trimEnd().endsWith('chart: chart.svg')).toBe(true);
    expect(() => JSON.parse(output)).toThrow();
  });

  it('says what each job asks of Redis, and on a cluster what each node does', () => {
    const plainOnly = redisTable(report);
    expect(plainOnly).toContain('| jobs/s per Redis core |');
    expect(plainOnly).not.toContain('Per cluster node');
    const tiny = variant('tiny', true, 900);
    const sharded = {
      ...tiny,
      shards: 3,
      redisBytesPerJob: { in: 2100, out: 1500 },
      redisNodes: [0, 1, 2].map((shard) => ({
        node: `127.0.0.1:700${shard}`,
        shards: [shard],
        registry: shard === 1,
        cores: 0.1,
        callsPerJob: 20,
        cpuMsPerJob: 0.15,
      })),
    };
    const table = redisTable({ ...report, variants: [sharded] });
    expect(table).toContain('| tiny | batching on, 1 worker, 3 shards | 1 | 900 | 2.0 | 6.0 | 20.0 | 2100 / 1500 | 0.50 | 2000 |');
    expect(table).toContain(
      '| tiny | batching on, 1 worker, 3 shards | 1 | 0 / 1 R / 2 | 0.10 / 0.10 / 0.10 | 20.0 / 20.0 / 20.0 | 0.15 / 0.15 / 0.15 |',
    );
  });
});
