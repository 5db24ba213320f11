import { defineProject } from 'vitest/config';

// The dashboard's own logic runs in node; the live client is tested in packages/client and
// packages/react, and the dashboard's React behaviour in a real browser (see e2e).
export default defineProject({
  test: {
    name: '@liveframe/web',
    include: ['test/**/*.test.ts'],
    environment: 'node',
  },
});
