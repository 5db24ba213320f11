import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: '@liveframe/demo-server',
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Memory-bound tests measure what is retained after a full collection (global.gc).
    execArgv: ['--expose-gc'],
  },
});
