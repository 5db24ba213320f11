import { createTRPCUntypedClient, TRPCClientError, type TRPCLink } from '@trpc/client';
import type { AnyTRPCRouter } from '@trpc/server';
import { observable } from '@trpc/server/observable';
import { describe, expect, it } from 'vitest';
import { FrameClock } from '../src/frame-clock.ts';
import { liveframeCodeOf, minFrameLink } from '../src/min-frame-link.ts';

interface Sent {
  type: string;
  path: string;
  input: unknown;
}

/** A terminating link that records what reached the server and answers from `reply`. */
function fakeServer(reply: (op: Sent) => unknown): { link: TRPCLink<AnyTRPCRouter>; sent: Sent[] } {
  const sent: Sent[] = [];
  const link: TRPCLink<AnyTRPCRouter> =
    () =>
    ({ op }) =>
      observable((observer) => {
        const request = { type: op.type, path: op.path, input: op.input };
        sent.push(request);
        try {
          observer.next({ result: { type: 'data', data: reply(request) } });
          observer.complete();
        } catch (error) {
          observer.error(error as TRPCClientError<AnyTRPCRouter>);
        }
        return () => {};
      });
  return { link, sent };
}

function generationChanged(): TRPCClientError<AnyTRPCRouter> {
  return new TRPCClientError('replica is on another generation', {
    result: { error: { code: -32009, message: 'x', data: { liveframe: { code: 'GENERATION_CHANGED' } } } },
  } as never);
}

describe('minFrameLink', () => {
  it('sends queries unchanged until this client has written', async () => {
    const clock = new FrameClock();
    const server = fakeServer(() => ({ rows: [] }));
    const client = createTRPCUntypedClient({ links: [minFrameLink({ clock }), server.link] });
    await client.query('orders.list', { page: 0 });
    expect(server.sent[0]?.input).toEqual({ page: 0 });
  });

  it('records the frame of mutation results and wraps later queries in the minFrame envelope', async () => {
    const clock = new FrameClock();
    const server = fakeServer((op) => (op.type === 'mutation' ? { id: 7, frame: 'g1:42' } : []));
    const client = createTRPCUntypedClient({ links: [minFrameLink({ clock }), server.link] });
    await client.mutation('orders.create', { customerId: 1 });
    await client.query('orders.list', { page: 0 });
    await client.query('catalog.products');
    expect(clock.minFrame).toBe('g1:42');
    expect(server.sent[1]?.input).toEqual({ $liveframe: { minFrame: 'g1:42' }, input: { page: 0 } });
    expect(server.sent[2]?.input).toEqual({ $liveframe: { minFrame: 'g1:42' }, input: undefined });
  });

  it('keeps the highest frame and lets a newer generation replace it', async () => {
    const clock = new FrameClock();
    const frames = ['g1:9', 'g1:5', 'g2:1'];
    const server = fakeServer(() => ({ frame: frames.shift() }));
    const client = createTRPCUntypedClient({ links: [minFrameLink({ clock }), server.link] });
    await client.mutation('a', {});
    await client.mutation('b', {});
    expect(clock.minFrame).toBe('g1:9');
    await client.mutation('c', {});
    expect(clock.minFrame).toBe('g2:1');
  });

  it('forgets the frame and asks for a refetch-all when the server reports a generation change', async () => {
    const clock = new FrameClock();
    clock.observe('g1:42');
    let refetchAll = 0;
    const server = fakeServer(() => {
      throw generationChanged();
    });
    const client = createTRPCUntypedClient({
      links: [minFrameLink({ clock, onGenerationChanged: () => refetchAll++ }), server.link],
    });
    const failure = await client.query('orders.list', {}).catch((error: unknown) => error);
    expect(liveframeCodeOf(failure)).toBe('GENERATION_CHANGED');
    expect(clock.minFrame).toBeNull();
    expect(refetchAll).toBe(1);
  });

  it('does not take the frame of live.update (not a write) as a read-your-writes floor', async () => {
    const clock = new FrameClock();
    const server = fakeServer(() => ({ position: 'g1:50', stale: [], frame: 'g1:50' }));
    const client = createTRPCUntypedClient({ links: [minFrameLink({ clock }), server.link] });
    await client.mutation('live.update', { subscriptionId: 'tab-1', add: [] });
    expect(clock.minFrame).toBeNull();
  });
});
