/** The Vitest settings every package shares; each package's vitest.config.ts re-exports them. */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // The chaos suite (processes killed, Redis restarted, fuzzing) runs apart: `npm run test:chaos`.
    exclude: ['**/node_modules/**', 'src/**/*.chaos.test.ts'],
    // JSON results feed the one-line summary that CI prints (scripts/summarize-tests.mjs).
    reporters: ['default', ['json', { outputFile: 'test-results.json' }]],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
