import { startSqld } from '@liveframe/native/testing';
import { describe, expect, it } from 'vitest';
import { startServer } from '../src/testing/index.ts';
import { connectLiveClient, subscribeWithQueries } from './support/live-client.ts';

// B syncs only when something asks it to: the test decides when its replica catches up.
const NO_POLLING_MS = 3_600_000;

describe('reads below announced changes (replica mode)', () => {
  it('serves reads when the replica cannot reach what was announced, then makes clients refetch once it does', async () => {
    await using sqld = await startSqld();
    await using b = await startServer({
      mode: 'replica',
      primaryUrl: sqld.url,
      config: { syncIntervalMs: NO_POLLING_MS, minFrameTimeoutMs: 200 },
    });
    await using a = await startServer({
      mode: 'replica',
      primaryUrl: sqld.url,
      config: { syncIntervalMs: NO_POLLING_MS, seed: false },
    });
    const dbB = b.services.database.driver;
    await dbB.sync();
    const handed: Array<{ position: { generation: string; frame: number }; changes: unknown }> = [];
    a.services.database.driver.onWriteAcknowledged((position, changes) => handed.push({ position, changes }));
    await using writer = connectLiveClient(a.wsUrl);
    await using reader = connectLiveClient(b.wsUrl);
    await subscribeWithQueries(reader, [{ key: 'kpis', path: 'dashboard.kpis', input: {} }]);
    const before = await reader.trpc.orders.byId.query({ id: 1 });

    await writer.trpc.orders.setStatus.mutate({
      id: 1,
      status: before?.status === 'paid' ? 'shipped' : 'paid',
    });
    const { position, changes } = handed.at(-1)!;
    // As if B got the hint and then lost the primary: the rows are announced at a frame B's
    // replica does not have (here: one the primary only reaches after several more writes; far
    // enough that background writes such as cursor heartbeats cannot get there meanwhile).
    const announced = { generation: position.generation, frame: position.frame + 20 };
    expect(dbB.applyPeerChanges(announced, changes)).toBe(true);
    const event = await reader.events.next();
    expect(event.data).toMatchObject({ type: 'invalidate', queries: ['kpis'] });

    // Not FRAME_TIMEOUT: the read is served from what B's replica has (an unreachable primary
    // must not take B's reads down with it).
    expect(await reader.trpc.orders.byId.query({ id: 1 })).toMatchObject({ id: 1 });
    // Two reads were served below it: the server's own re-run of the kpis query the event hit
    // (live-query-groups.ts; it started at the publish, so its wait ended first) and this one.
    expect(b.services.staleReads.staleReads).toBe(2);
    // A client's own minFrame is still honoured in full: that one fails typed.
    const byId = reader.trpc.orders.byId.query as (input: unknown) => Promise<unknown>;
    await expect(
      byId({ $liveframe: { minFrame: `${announced.generation}:${announced.frame}` }, input: { id: 1 } }),
    ).rejects.toThrow(/did not reach/);

    // Once B's replica gets there, every client is told to refetch what it read meanwhile.
    for (let i = 0; i < 100 && dbB.position().frame < announced.frame; i++) {
      await writer.trpc.orders.setStatus.mutate({ id: 2 + (i % 20), status: i % 2 ? 'paid' : 'shipped' });
      await dbB.sync();
    }
    const refetch = await reader.events.until((e) => e.data.type === 'refetch-all', 20_000);
    expect(refetch.data).toMatchObject({ type: 'refetch-all' });
    expect(dbB.position().frame).toBeGreaterThanOrEqual(announced.frame);
  });
});
