import { startSqld } from '@liveframe/native/testing';
import { describe, expect, it } from 'vitest';
import { startServer } from '../src/testing/index.ts';
import { connectLiveClient, subscribeWithQueries } from './support/live-client.ts';

/** The event covering `frame`: the invalidation at it, or a later one (a refetch-all may cover it). */
const covers = (frame: string) => (event: { id: string }) => {
  const [generation, at] = [frame.slice(0, frame.lastIndexOf(':')), Number(frame.split(':').pop())];
  return event.id.startsWith(`${generation}:`) && Number(event.id.split(':').pop()) >= at;
};

describe('change-log compaction scheduling', () => {
  it('compacts the change log periodically in replica mode, on two servers at once, and keeps serving events', async () => {
    await using sqld = await startSqld();
    const config = { syncIntervalMs: 20, compactIntervalMs: 50, changeLogMaxRows: 5 };
    await using a = await startServer({ mode: 'replica', primaryUrl: sqld.url, config });
    await using b = await startServer({
      mode: 'replica',
      primaryUrl: sqld.url,
      config: { ...config, seed: false },
    });
    expect(a.services.compaction.scheduled).toBe(true);
    await using writer = connectLiveClient(a.wsUrl);
    await using reader = connectLiveClient(b.wsUrl);
    await subscribeWithQueries(reader, [{ key: 'kpis', path: 'dashboard.kpis', input: {} }]);
    for (let i = 0; i < 20; i++) {
      const { frame } = await writer.trpc.orders.setStatus.mutate({ id: 1 + i, status: 'paid' });
      // With a 5-row retention B may lose log rows it had not read yet: then it sends refetch-all.
      await reader.events.until(covers(frame));
    }
    // Whichever server runs first deletes; the other's runs find nothing left, without failing.
    while (a.services.compaction.stats.deleted + b.services.compaction.stats.deleted === 0) {
      await Promise.race([a.services.compaction.nextRun(), b.services.compaction.nextRun()]);
    }
    await a.services.compaction.nextRun();
    await b.services.compaction.nextRun();
    expect(a.services.compaction.stats.failures + b.services.compaction.stats.failures).toBe(0);

    // Events still flow after compaction.
    const { frame } = await writer.trpc.orders.setStatus.mutate({ id: 2, status: 'shipped' });
    expect(['invalidate', 'refetch-all']).toContain((await reader.events.until(covers(frame))).data.type);
  });

  it('schedules nothing in local mode or with interval 0', async () => {
    await using local = await startServer({ config: { compactIntervalMs: 50 } });
    expect(local.services.compaction.scheduled).toBe(false);
    await using sqld = await startSqld();
    await using off = await startServer({
      mode: 'replica',
      primaryUrl: sqld.url,
      config: { compactIntervalMs: 0 },
    });
    expect(off.services.compaction.scheduled).toBe(false);
  });
});
