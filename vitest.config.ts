import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Forks, not threads: integration tests setns() the worker's main thread around socket().
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
