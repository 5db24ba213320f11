import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: '@liveframe/layering',
    include: ['*.test.ts'],
  },
});
