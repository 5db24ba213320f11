import { startSqld } from '@liveframe/native/testing';
import { SYNC_HINT_PATH, SYNC_HINT_SIGNATURE_HEADER } from '@liveframe/server';
import { describe, expect, it } from 'vitest';
import { startServer } from '../src/testing/index.ts';
import { connectLiveClient, subscribeWithQueries } from './support/live-client.ts';

// B polls only once an hour: an event on B can only come from A's sync hint.
const NO_POLLING_MS = 3_600_000;

describe('peer sync hints (replica mode)', () => {
  it('a write through A reaches a client on B without B polling, and unsigned hints are refused', async () => {
    await using sqld = await startSqld();
    await using b = await startServer({
      mode: 'replica',
      primaryUrl: sqld.url,
      config: { syncIntervalMs: NO_POLLING_MS, peerSecret: 'peer-secret' },
    });
    await using a = await startServer({
      mode: 'replica',
      primaryUrl: sqld.url,
      config: { syncIntervalMs: NO_POLLING_MS, peers: [b.url], peerSecret: 'peer-secret', seed: false },
    });
    await using writer = connectLiveClient(a.wsUrl);
    await using reader = connectLiveClient(b.wsUrl);
    const { ack } = await subscribeWithQueries(reader, [{ key: 'kpis', path: 'dashboard.kpis', input: {} }]);
    const byIdOnB = reader.trpc.orders.byId.query as (input: unknown) => Promise<{ status: string }>;
    for (let i = 0; i < 6; i++) {
      const status = i % 2 ? 'paid' : 'shipped';
      const write = writer.trpc.orders.setStatus.mutate({ id: 1 + i, status });
      // Exactly one event per write: the one B published from the hint's rows is not repeated
      // when B's replica syncs the same rows.
      const event = await reader.events.next();
      // Refetch the moment the event is in, as a client does: that is usually before B's replica
      // synced the write, and the read must still see it, whether or not the client sends the
      // frame itself (the server waits for what it announced).
      const refetch = i % 2 ? { $liveframe: { minFrame: event.id }, input: { id: 1 + i } } : { id: 1 + i };
      expect(await byIdOnB(refetch)).toMatchObject({ status });
      expect(event.id).toBe((await write).frame);
      expect(event.data).toMatchObject({ type: 'invalidate', queries: ['kpis'], tables: ['orders'] });
    }
    expect(a.services.peerHints.stats.sent).toBeGreaterThan(0);
    expect(b.services.peerHints.stats.received).toBeGreaterThan(0);
    // The hints carried the writes' change-log rows and B published them before syncing.
    expect(b.services.peerHints.stats.appliedEarly).toBeGreaterThan(0);

    const body = JSON.stringify({ position: ack.id });
    const post = (headers: Record<string, string>) =>
      fetch(`${b.url}${SYNC_HINT_PATH}`, { method: 'POST', body, headers });
    expect((await post({})).status).toBe(401);
    expect((await post({ [SYNC_HINT_SIGNATURE_HEADER]: '00'.repeat(32) })).status).toBe(401);
    expect((await fetch(`${b.url}${SYNC_HINT_PATH}`)).status).toBe(405);
  });
});
