import { describe, expect, it } from 'vitest';
import { renderChart } from './chart.js';
import { report } from './testing/report-fixture.js';

describe('renderChart', () => {
  it('draws one panel per scenario and two lines (p50, p99) per configuration, text escaped', () => {
    const svg = renderChart(report);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<polyline/g)).toHaveLength(2 * report.variants.length);
    expect(svg).toContain('>seed-b1<');
    expect(svg).toContain('>tiny<');
    expect(svg).toContain('>wide-b1<');
    expect(svg).toContain('engine alone');
    expect(svg).toContain('Test CPU &lt;8 cores>');
  });

  it('gives each configuration one colour, the same in every panel and in the legend, API processes included', () => {
    const svg = renderChart(report);
    const legend = [...svg.matchAll(/stroke="(#[0-9a-f]{6})" stroke-width="2"\/><text [^>]*>([^<]+)</g)].map(([, colour, label]) => [
      label,
      colour,
    ]);
    expect(legend.map(([label]) => label)).toEqual(['batching on, 1 worker', 'batching off, 1 worker', 'batching on, 1 worker, 3 APIs']);
    const colours = new Map(legend.map(([label, colour]) => [label, colour]));
    expect(new Set(colours.values()).size).toBe(3);
    const lines = [...svg.matchAll(/<polyline [^>]*stroke="(#[0-9a-f]{6})"/g)].map(([, colour]) => colour);
    // In report order, two lines (p50, p99) per configuration.
    const expected = report.variants.flatMap((v) => {
      const label = `batching ${v.batching ? 'on' : 'off'}, 1 worker${v.apis > 1 ? `, ${v.apis} APIs` : ''}`;
      return [colours.get(label), colours.get(label)];
    });
    expect(lines).toEqual(expected);
  });
});
