// Sums the Vitest JSON reports of every workspace (and of the chaos suite,
// when it ran) into one closing line: "Tests: N passed, N failed". Exits
// non-zero when no test ran or one failed.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

let passed = 0;
let failed = 0;
let skipped = 0;
const reports = ['test-results.chaos.json'];
for (const group of ['packages', 'services', 'tools']) {
  if (!existsSync(group)) continue;
  for (const name of readdirSync(group)) reports.push(join(group, name, 'test-results.json'));
}
for (const report of reports) {
  if (!existsSync(report)) continue;
  const { numPassedTests, numFailedTests, numPendingTests, numTodoTests } = JSON.parse(readFileSync(report, 'utf8'));
  passed += numPassedTests;
  failed += numFailedTests;
  skipped += numPendingTests + numTodoTests;
}
console.log(`Tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(passed > 0 && failed === 0 ? 0 : 1);
