// Turns `ensemble bench --json` output (stdin) into the Markdown table the README shows:
// one row per config, batch, engine and mode, loop against vectorized.
import { readFileSync } from 'node:fs';

const cases = readFileSync(0, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((line) => JSON.parse(line))
  .filter((line) => line.strategy !== undefined); // cases, not the kernel timings
const pairs = new Map();
for (const c of cases) {
  const key = [c.target, c.config, c.batch, c.mode].join('|');
  pairs.set(key, { ...pairs.get(key), [c.strategy]: c });
}
const percent = (gflops, roofline) => `${Math.round((100 * gflops) / roofline)}%`;
console.log(
  '| config | batch | engine | mode | loop ms | vectorized ms | speedup | vectorized GFLOP/s | % of roofline: end to end / compute |',
);
console.log('|---|--:|---|---|--:|--:|--:|--:|--:|');
for (const { loop, vectorized: v } of pairs.values()) {
  console.log(
    `| ${v.config} | ${v.batch} | ${v.target} | ${v.mode} | ${loop.medianMs.toFixed(2)} | ${v.medianMs.toFixed(2)} | ` +
      `${(loop.medianMs / v.medianMs).toFixed(2)}x | ${v.gflops.toFixed(1)} | ` +
      `${percent(v.gflops, v.rooflineGflops)} / ${percent(v.computeGflops, v.rooflineGflops)} |`,
  );
}
