import { describe, expect, it } from 'vitest';
import { LiveQueryHub, type ResultsEvent } from '../src/index.ts';

const at = (frame: number) => ({ generation: 'g', frame });

function results(frame: number, keys: string[]): ResultsEvent {
  return {
    type: 'results',
    position: at(frame),
    results: keys.map((key) => ({ key, data: `"${key}@${frame}"`, at: at(frame) })),
    invalidate: [],
  };
}

describe('push results through the hub', () => {
  it('offers results in order with the hub events, and only to an open subscription', async () => {
    using hub = new LiveQueryHub({ position: at(1) });
    expect(hub.offer('nobody', results(1, ['a']))).toBe(false);
    const subscription = hub.subscribe({ subscriberId: 's1' });
    expect((await subscription.next()).value).toMatchObject({ type: 'live', position: at(1) });
    expect(hub.offer('s1', results(2, ['a']))).toBe(true);
    expect((await subscription.next()).value).toMatchObject({ type: 'results', position: at(2) });
    subscription.close();
    expect(hub.offer('s1', results(3, ['a']))).toBe(false);
  });

  it('never lets a results event take the subscription position backwards; each result keeps its own', async () => {
    using hub = new LiveQueryHub({ position: at(1) });
    const subscription = hub.subscribe({ subscriberId: 's1' });
    await subscription.next();
    hub.publish({ type: 'refetch-all', position: at(5), reason: 'test' });
    expect((await subscription.next()).value).toMatchObject({ type: 'refetch-all', position: at(5) });
    // Computed from an execution that began at frame 3, delivered after the refetch-all at 5.
    hub.offer('s1', results(3, ['a']));
    const late = (await subscription.next()).value as ResultsEvent;
    expect(late.position).toEqual(at(5));
    expect(late.results[0]?.at).toEqual(at(3));
  });
});
