import {
  FrameClock,
  InvalidationLog,
  type LiveChannel,
  type LiveEventData,
  LiveQueryRegistry,
} from '@liveframe/client';
import { QueryClient } from '@tanstack/react-query';
import type { AnyTRPCRouter } from '@trpc/server';
import { type ReactNode, Suspense } from 'react';
import { prerender } from 'react-dom/static';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LiveProvider, type ReactLiveClient, useSuspenseLiveQuery } from '../src/index.ts';

/**
 * Server rendering runs Suspense to completion without a DOM; effects (and so registration on
 * mount) do not run there and are covered by the browser tests (e2e).
 */

/** A live server that acknowledges the subscription at frame 7 after `ackDelayMs`. */
function delayedAckChannel(ackDelayMs: number): LiveChannel {
  return {
    subscribe(_id, handlers) {
      const timer = setTimeout(() => {
        const ack: LiveEventData = { type: 'live', position: 'g1:7', subscriptionId: 's', registered: 0 };
        handlers.onEvent(ack.position, ack);
      }, ackDelayMs);
      return () => clearTimeout(timer);
    },
    async update() {
      return { position: 'g1:7', stale: [], frame: 'g1:7' };
    },
  };
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function liveClient(): ReactLiveClient<AnyTRPCRouter> {
  const queryClient = new QueryClient();
  const registry = new LiveQueryRegistry({
    queryClient,
    channel: delayedAckChannel(20),
    log: new InvalidationLog(),
    clock: new FrameClock(),
    subscriptionId: 'tab-1',
  });
  registry.start();
  cleanups.push(
    () => registry.close(),
    () => queryClient.clear(),
  );
  // The hooks use the registry and the query client only; no socket in these tests.
  return { queryClient, registry } as unknown as ReactLiveClient<AnyTRPCRouter>;
}

async function render(live: ReactLiveClient<AnyTRPCRouter>, children: ReactNode): Promise<string> {
  const { prelude } = await prerender(
    <LiveProvider client={live}>
      <Suspense fallback={<p>loading</p>}>{children}</Suspense>
    </LiveProvider>,
  );
  return new Response(prelude).text();
}

const kpisKey = [['dashboard', 'kpis'], { type: 'query' }] as const;

function Kpis(props: { fetch: () => Promise<{ orders: number }> }): ReactNode {
  const { data } = useSuspenseLiveQuery({
    queryKey: kpisKey,
    queryFn: props.fetch,
    trpc: { path: 'dashboard.kpis' },
  });
  return <p>orders: {data.orders}</p>;
}

function Counter(props: { staleTime?: number }): ReactNode {
  const { data } = useSuspenseLiveQuery({
    queryKey: [['kpis', String(props.staleTime)], { type: 'query' }],
    queryFn: async () => 1,
    trpc: { path: 'dashboard.kpis' },
    ...(props.staleTime === undefined ? {} : { staleTime: props.staleTime }),
  });
  return <p>{data}</p>;
}

function Broken(): ReactNode {
  useSuspenseLiveQuery({
    queryKey: [['broken'], { type: 'query' }],
    queryFn: async (): Promise<number> => {
      throw new Error('boom');
    },
    retry: false,
    trpc: { path: 'broken' },
  });
  return <p>never</p>;
}

describe('useSuspenseLiveQuery', () => {
  it('suspends until the first data, fetched through the registry at the acknowledged frame', async () => {
    const live = liveClient();
    const begin = vi.spyOn(live.registry, 'beginFetch');
    const complete = vi.spyOn(live.registry, 'completeFetch');
    let fetches = 0;
    const fetch = async () => {
      fetches++;
      return { orders: 42 };
    };

    const html = await render(live, <Kpis fetch={fetch} />);

    expect(html).toContain('orders: <!-- -->42');
    expect(html).not.toContain('loading');
    expect(fetches).toBe(1);
    expect(begin).toHaveBeenCalledWith(kpisKey);
    // The fetch waited for the acknowledgement, so its data is known to be at frame 7: an event
    // for an older frame will not refetch it.
    expect(complete).toHaveBeenCalledTimes(1);
    expect(complete.mock.calls[0]?.[1].floor).toEqual({ generation: 'g1', frame: 7 });
    expect(complete.mock.calls[0]?.[2]).toBe(true);
  });

  it('keeps the data fresh until the server says otherwise (staleTime Infinity unless given)', async () => {
    const live = liveClient();

    await render(
      live,
      <>
        <Counter />
        <Counter staleTime={5_000} />
      </>,
    );

    const staleTimes = live.queryClient
      .getQueryCache()
      .getAll()
      .map((query) => [query.queryKey[0], (query.options as { staleTime?: unknown }).staleTime]);
    expect(staleTimes).toEqual(
      expect.arrayContaining([
        [['kpis', 'undefined'], Number.POSITIVE_INFINITY],
        [['kpis', '5000'], 5_000],
      ]),
    );
  });

  it('reports a failed first fetch as a render error instead of suspending forever', async () => {
    const live = liveClient();
    const complete = vi.spyOn(live.registry, 'completeFetch');

    const errors: unknown[] = [];
    const { prelude } = await prerender(
      <LiveProvider client={live}>
        <Suspense fallback={<p>loading</p>}>
          <Broken />
        </Suspense>
      </LiveProvider>,
      { onError: (error) => void errors.push(error) },
    );
    const html = await new Response(prelude).text();

    expect(html).not.toContain('never');
    expect(errors.map(String)).toContain('Error: boom');
    // A failed fetch does not claim its (absent) data is at any frame.
    expect(complete.mock.calls[0]?.[2]).toBe(false);
  });
});
