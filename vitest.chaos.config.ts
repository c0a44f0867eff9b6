/**
 * The chaos suite: faults against real processes and a real `redis-server`,
 * load and backpressure, hostile input. `npm run test:chaos` runs it after a
 * build; its files are `*.chaos.test.ts` next to the code they exercise.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{packages,services}/*/src/**/*.chaos.test.ts'],
    reporters: ['default', ['json', { outputFile: 'test-results.chaos.json' }]],
    // One file at a time: each starts processes and Redis servers of its own, and timings must not fight.
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 120_000,
  },
});
