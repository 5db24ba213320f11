import { defineProject } from 'vitest/config';

// Client-library logic is tested in node; React behaviour runs in a real browser (see e2e).
export default defineProject({
  test: {
    name: '@liveframe/web',
    include: ['test/**/*.test.ts'],
    environment: 'node',
  },
});
