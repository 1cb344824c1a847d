import { defineConfig } from 'vitest/config';

// Two projects: `unit` is pure and fast (model/, deps/, validate rules); `e2e` runs the
// built CLI against real Python, uv, virtualenv and MLflow, and needs `npm run build` first.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/e2e/**'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 900_000,
          hookTimeout: 900_000,
          // Environments are built on 2 cores; running files one at a time keeps timings sane.
          fileParallelism: false,
        },
      },
    ],
  },
});
