import { defineConfig } from 'vitest/config';

// One vitest project per workspace package; each package's own vitest.config.ts sets its options.
export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*', 'e2e', 'examples', 'tests/*'],
  },
});
