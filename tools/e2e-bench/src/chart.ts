/**
 * The bench's picture, an SVG with no dependencies: one panel per scenario,
 * latency (p50 solid, p99 dashed) against offered load, one colour per
 * configuration, with the same-run baselines as vertical lines. Where a line
 * turns up is where that configuration saturates.
 */
import type { BenchReport } from './report.js';
import { variantLabel } from './report.js';
import type { VariantResult } from './run-scenario.js';

const PANEL = { width: 360, height: 280, left: 56, right: 16, top: 40, bottom: 44 };
const COLOURS = ['#1f77b4', '#17becf', '#ff7f0e', '#d62728', '#2ca02c', '#9467bd', '#8c564b', '#e377c2'];
const LEGEND_ENTRY_WIDTH = 220;
const LEGEND_ROW_HEIGHT = 20;

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** A log-scale axis: value to pixel, rounded to a tenth. */
function logScale(min: number, max: number, from: number, to: number) {
  const lo = Math.log10(min);
  const hi = Math.log10(max);
  return (value: number) => Math.round((from + ((Math.log10(value) - lo) / (hi - lo || 1)) * (to - from)) * 10) / 10;
}

/** Powers of ten and their halves between min and max, for axis ticks. */
function ticks(min: number, max: number): number[] {
  const values: number[] = [];
  for (let p = Math.floor(Math.log10(min)); p <= Math.ceil(Math.log10(max)); p++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** p;
      if (v >= min && v <= max) values.push(v);
    }
  }
  return values;
}

/** Points of one configuration: the open-loop loads, then the closed-loop saturation point. */
function points(v: VariantResult, key: 'p50' | 'p99'): Array<[number, number]> {
  const all: Array<[number, number]> = [
    ...v.loads.map((l): [number, number] => [l.phase.kind === 'open' ? l.phase.rate : l.throughput, l.latencyMs[key]]),
    [v.saturation.throughput, v.saturation.latencyMs[key]],
  ];
  return all.filter(([x, y]) => x > 0 && y > 0 && Number.isFinite(y));
}

/** One colour per configuration, the same in every panel and in the legend. */
function configurationColours(report: BenchReport): Map<string, string> {
  const labels = [...new Set(report.variants.map(variantLabel))];
  return new Map(labels.map((label, i) => [label, COLOURS[i % COLOURS.length] as string]));
}

function panel(report: BenchReport, scenario: string, x0: number, colours: Map<string, string>): string {
  const variants = report.variants.filter((v) => v.scenario === scenario);
  const engine = report.engine[scenario]?.throughput;
  const baselines: Array<[string, number]> = [];
  if (engine) baselines.push(['engine alone', engine]);
  if (scenario === 'tiny') baselines.push(['BullMQ alone', report.bullmq.throughput]);
  const all = variants.flatMap((v) => [...points(v, 'p50'), ...points(v, 'p99')]);
  if (all.length === 0) return '';
  const xs = [...all.map(([x]) => x), ...baselines.map(([, x]) => x)];
  const ys = all.map(([, y]) => y);
  const [xMin, xMax] = [Math.min(...xs) / 1.5, Math.max(...xs) * 1.5];
  const [yMin, yMax] = [Math.min(...ys) / 1.5, Math.max(...ys) * 1.5];
  const { width, height, left, right, top, bottom } = PANEL;
  const x = logScale(xMin, xMax, x0 + left, x0 + width - right);
  const y = logScale(yMin, yMax, height - bottom, top);
  const parts = [
    `<text x="${x0 + width / 2}" y="20" text-anchor="middle" font-weight="bold">${escapeXml(scenario)}</text>`,
    `<rect x="${x0 + left}" y="${top}" width="${width - left - right}" height="${height - top - bottom}" fill="none" stroke="#999"/>`,
    `<text x="${x0 + width / 2}" y="${height - 8}" text-anchor="middle">offered load, jobs/s</text>`,
    `<text transform="translate(${x0 + 14},${(height - bottom + top) / 2}) rotate(-90)" text-anchor="middle">latency, ms</text>`,
  ];
  for (const t of ticks(xMin, xMax)) {
    parts.push(
      `<line x1="${x(t)}" x2="${x(t)}" y1="${height - bottom}" y2="${height - bottom + 4}" stroke="#999"/><text x="${x(t)}" y="${height - bottom + 16}" text-anchor="middle" font-size="10">${t}</text>`,
    );
  }
  for (const t of ticks(yMin, yMax)) {
    parts.push(
      `<line x1="${x0 + left - 4}" x2="${x0 + width - right}" y1="${y(t)}" y2="${y(t)}" stroke="#eee"/><text x="${x0 + left - 6}" y="${y(t) + 3}" text-anchor="end" font-size="10">${t}</text>`,
    );
  }
  for (const [label, value] of baselines) {
    parts.push(
      `<line x1="${x(value)}" x2="${x(value)}" y1="${top}" y2="${height - bottom}" stroke="#555" stroke-dasharray="2,3"/><text x="${x(value) - 3}" y="${top + 12}" text-anchor="end" font-size="10" fill="#555">${escapeXml(label)}</text>`,
    );
  }
  for (const v of variants) {
    const colour = colours.get(variantLabel(v));
    for (const [key, dash] of [
      ['p50', ''],
      ['p99', ' stroke-dasharray="5,3"'],
    ] as const) {
      const path = points(v, key)
        .map(([px, py]) => `${x(px)},${y(py)}`)
        .join(' ');
      parts.push(`<polyline points="${path}" fill="none" stroke="${colour}" stroke-width="1.8"${dash}/>`);
    }
  }
  return parts.join('\n');
}

export function renderChart(report: BenchReport): string {
  const scenarios = [...new Set(report.variants.map((v) => v.scenario))];
  const width = PANEL.width * scenarios.length;
  const colours = configurationColours(report);
  const perRow = Math.max(1, Math.floor((width - 20) / LEGEND_ENTRY_WIDTH));
  const legendRows = Math.ceil(colours.size / perRow);
  const legend = [...colours].map(([label, colour], i) => {
    const [lx, ly] = [20 + (i % perRow) * LEGEND_ENTRY_WIDTH, PANEL.height + 10 + Math.floor(i / perRow) * LEGEND_ROW_HEIGHT];
    return `<line x1="${lx}" x2="${lx + 24}" y1="${ly}" y2="${ly}" stroke="${colour}" stroke-width="2"/><text x="${lx + 30}" y="${ly + 4}">${escapeXml(label)}</text>`;
  });
  const captionY = PANEL.height + 10 + (legendRows - 1) * LEGEND_ROW_HEIGHT + 26;
  const caption = `p50 solid, p99 dashed; the rightmost point of each line is the closed-loop maximum. ${escapeXml(report.cpu)}, ${report.cores} cores, ${report.date}.`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${captionY + 14}" font-family="sans-serif" font-size="12">`,
    '<title>Latency against offered load, per scenario and configuration, with the same-run baselines</title>',
    '<rect width="100%" height="100%" fill="white"/>',
    ...scenarios.map((scenario, i) => panel(report, scenario, i * PANEL.width, colours)),
    ...legend,
    `<text x="20" y="${captionY}" font-size="11" fill="#444">${caption}</text>`,
    '</svg>',
    '',
  ].join('\n');
}
