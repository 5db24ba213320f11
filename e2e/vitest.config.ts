import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: '@liveframe/e2e',
    include: ['tests/**/*.test.ts'],
    // Real browsers and real servers: starting them takes seconds, not milliseconds.
    testTimeout: 90_000,
    hookTimeout: 90_000,
    // One browser test file at a time: two cores, and each file runs sqld, servers and Chromium.
    fileParallelism: false,
  },
});
