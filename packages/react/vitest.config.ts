import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: '@liveframe/react',
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
