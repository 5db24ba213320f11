import { describe, expect, it } from 'vitest';
import { newSubscriptionId } from '../src/subscription-id.ts';

describe('newSubscriptionId', () => {
  it('makes ids the server accepts (8..128 chars of [A-Za-z0-9_-]) and never repeats', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newSubscriptionId()));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{8,128}$/);
  });
});
