import { describe, expect, it, vi } from 'vitest';
import { BoundedEventQueue } from '../src/bounded-event-queue.ts';
import type { InvalidateEvent } from '../src/index.ts';

const at = (frame: number) => ({ generation: 'g', frame });
const inv = (frame: number, queries = [`q${frame}`]): InvalidateEvent => ({
  type: 'invalidate',
  position: at(frame),
  queries,
  tables: ['t'],
});

async function drain(queue: BoundedEventQueue) {
  const events = [];
  while (queue.length > 0) events.push((await queue.next()).value);
  return events;
}

describe('BoundedEventQueue', () => {
  it('delivers in order and hands events straight to a waiting consumer', async () => {
    const queue = new BoundedEventQueue(4);
    const waiting = queue.next();
    queue.push(inv(1));
    expect((await waiting).value).toEqual(inv(1));
    queue.push(inv(2));
    queue.push(inv(3));
    expect(await drain(queue)).toEqual([inv(2), inv(3)]);
  });

  it('take hands events to a synchronous consumer inside push, in order, buffered ones first', () => {
    const queue = new BoundedEventQueue(4);
    queue.push(inv(1));
    const seen: unknown[] = [];
    const consume = (result: IteratorResult<unknown>) => {
      seen.push(result.done ? 'done' : result.value);
      if (!result.done) queue.take(consume);
    };
    queue.take(consume); // the buffered event, at once
    expect(seen).toEqual([inv(1)]);
    queue.push(inv(2)); // no promise: the consumer has it when push returns
    queue.push(inv(3));
    expect(seen).toEqual([inv(1), inv(2), inv(3)]);
    expect(queue.length).toBe(0);
    queue.close();
    expect(seen.at(-1)).toBe('done');
    expect(() => {
      const other = new BoundedEventQueue(1);
      other.take(() => {});
      other.take(() => {});
    }).toThrow(/one pending/);
  });

  it('overflow replaces the buffer with one refetch-all at the newest position, never a silent drop', async () => {
    const queue = new BoundedEventQueue(3);
    for (let frame = 1; frame <= 3; frame++) queue.push(inv(frame));
    queue.push(inv(4));
    expect(queue.overflows).toBe(1);
    // Later invalidations fold into the pending refetch-all instead of growing the buffer.
    for (let frame = 5; frame <= 100; frame++) queue.push(inv(frame));
    expect(queue.length).toBe(1);
    expect(await drain(queue)).toEqual([
      { type: 'refetch-all', position: at(100), reason: 'subscriber buffer overflow' },
    ]);
    queue.push(inv(101));
    expect(await drain(queue)).toEqual([inv(101)]);
  });

  it('a refetch-all subsumes everything buffered before it', async () => {
    const queue = new BoundedEventQueue(10);
    queue.push(inv(1));
    queue.push(inv(2));
    queue.push({ type: 'refetch-all', position: at(3), reason: 'generation' });
    expect(await drain(queue)).toEqual([{ type: 'refetch-all', position: at(3), reason: 'generation' }]);
  });

  it('close resolves a pending next() as done; return() also calls onReturn once', async () => {
    const onReturn = vi.fn();
    const queue = new BoundedEventQueue(2, onReturn);
    const pending = queue.next();
    await queue.return();
    await queue.return();
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(onReturn).toHaveBeenCalledTimes(1);
    queue.push(inv(1));
    expect(await queue.next()).toEqual({ value: undefined, done: true });
  });

  it('for-await with break ends the queue', async () => {
    const onReturn = vi.fn();
    const queue = new BoundedEventQueue(2, onReturn);
    queue.push(inv(1));
    for await (const event of queue) {
      expect(event).toEqual(inv(1));
      break;
    }
    expect(queue.closed).toBe(true);
    expect(onReturn).toHaveBeenCalledOnce();
  });
});
