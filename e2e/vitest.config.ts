import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: '@liveframe/e2e',
    include: ['tests/**/*.test.ts'],
    // Fails loudly without Chromium and builds the dashboard once per run.
    globalSetup: ['src/global-setup.ts'],
    // Real browsers and real servers: starting them takes seconds, not milliseconds.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // One browser test file at a time: two cores, and each file runs sqld, servers and Chromium.
    fileParallelism: false,
  },
});
