import { defineConfig } from 'vitest/config';

// Two projects: `unit` is pure and fast (model/, deps/, validate rules); `e2e` runs the
// built CLI against real Python, uv, virtualenv and MLflow, and needs `npm run build` first.
// The whole run shares one temp root (TMPDIR) that must be empty at the end, and each test
// file removes the temp directories it made (test/support/temp.ts).
const setupFiles = ['test/support/remove-temp-dirs.setup.ts'];

export default defineConfig({
  test: {
    globalSetup: ['test/support/suite-temp-root.ts', 'test/support/suite-tools-path.ts'],
    // Two test files at a time, also on a 2-core machine (vitest's default there is one): an e2e
    // file spends most of its time waiting on installers, Python start-up and the network.
    maxWorkers: 2,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/e2e/**'],
          setupFiles,
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          setupFiles,
          testTimeout: 900_000,
          hookTimeout: 900_000,
        },
      },
    ],
  },
});
