import { defineProject } from 'vitest/config';

// The consumer test packs and installs every package: minutes, not seconds, and one at a time.
export default defineProject({
  test: {
    name: '@liveframe/consumer',
    include: ['consumer.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 900_000,
    fileParallelism: false,
  },
});
