import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src-main/**/*.test.ts', 'tools/**/*.test.ts', 'src-preload/**/*.test.ts', 'src-renderer/**/*.spec.ts'],
    environment: 'node',
    testTimeout: 30_000,
    pool: 'forks',
  },
});
