import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { InvalidateEvent, SubscriptionEvent } from '../src/index.ts';
import { InvalidationThrottle } from '../src/invalidation-throttle.ts';

const inv = (frame: number, query: string, table = 't'): InvalidateEvent => ({
  type: 'invalidate',
  position: { generation: 'g', frame },
  queries: [query],
  tables: [table],
});

describe('InvalidationThrottle', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('emits the first invalidation at once and merges the rest of the window into one', () => {
    const emitted: SubscriptionEvent[] = [];
    const throttle = new InvalidationThrottle(100, (event) => emitted.push(event));
    throttle.offer(inv(1, 'a'));
    expect(emitted).toEqual([inv(1, 'a')]);
    throttle.offer(inv(2, 'b', 'u'));
    throttle.offer(inv(3, 'a'));
    throttle.offer(inv(4, 'c'));
    vi.advanceTimersByTime(99);
    expect(emitted).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(emitted[1]).toEqual({
      type: 'invalidate',
      position: { generation: 'g', frame: 4 },
      queries: ['b', 'a', 'c'],
      tables: ['u', 't'],
    });
    // The flush opened a new window: the next one waits too.
    throttle.offer(inv(5, 'd'));
    expect(emitted).toHaveLength(2);
    vi.advanceTimersByTime(100);
    expect(emitted).toHaveLength(3);
    // A quiet window closes it: the next invalidation is immediate again.
    vi.advanceTimersByTime(100);
    throttle.offer(inv(6, 'e'));
    expect(emitted).toHaveLength(4);
    throttle.close();
  });

  it('never delays a refetch-all, which drops the pending merge', () => {
    const emitted: SubscriptionEvent[] = [];
    const throttle = new InvalidationThrottle(100, (event) => emitted.push(event));
    throttle.offer(inv(1, 'a'));
    throttle.offer(inv(2, 'b'));
    throttle.offer({ type: 'refetch-all', position: { generation: 'h', frame: 0 }, reason: 'gen' });
    expect(emitted.map((e) => e.type)).toEqual(['invalidate', 'refetch-all']);
    vi.advanceTimersByTime(1000);
    expect(emitted).toHaveLength(2);
  });

  it('0 ms means no throttle; close cancels the timer and the pending merge', () => {
    const emitted: SubscriptionEvent[] = [];
    const immediate = new InvalidationThrottle(0, (event) => emitted.push(event));
    immediate.offer(inv(1, 'a'));
    immediate.offer(inv(2, 'b'));
    expect(emitted).toHaveLength(2);
    const throttle = new InvalidationThrottle(50, (event) => emitted.push(event));
    throttle.offer(inv(3, 'a'));
    throttle.offer(inv(4, 'b'));
    throttle.close();
    vi.advanceTimersByTime(1000);
    expect(emitted).toHaveLength(3);
    expect(vi.getTimerCount()).toBe(0);
  });
});
