import { startSqld } from '@liveframe/native/testing';
import { describe, expect, it } from 'vitest';
import { startServer } from '../src/testing/index.ts';
import { connectLiveClient, subscribeWithQueries } from './support/live-client.ts';

const replica = (primaryUrl: string) =>
  ({ mode: 'replica', primaryUrl, config: { syncIntervalMs: 20, minFrameTimeoutMs: 5_000 } }) as const;

/** Resolves once `predicate` holds, checking on every macrotask; rejects after the deadline. */
async function until(predicate: () => boolean, what: string, deadlineMs = 30_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('replica mode: primary SIGKILL + restart during traffic', () => {
  it('loses no acknowledged write, servers recover, clients get refetch-all, nothing hangs', async () => {
    await using sqld = await startSqld();
    await using a = await startServer(replica(sqld.url));
    await using b = await startServer(replica(sqld.url));
    await using writer = connectLiveClient(a.wsUrl);
    await using reader = connectLiveClient(b.wsUrl);
    await subscribeWithQueries(reader, [
      { key: 'kpis', path: 'dashboard.kpis', input: { windowMinutes: 60 } },
    ]);

    const acknowledged: number[] = [];
    let failed = 0;
    let stop = false;
    const traffic = (async () => {
      while (!stop) {
        try {
          const { id } = await writer.trpc.orders.create.mutate({
            customerId: 1,
            items: [{ productId: 1, quantity: 1 }],
          });
          acknowledged.push(id);
        } catch {
          failed++; // the primary is down: not acknowledged, so not owed
          if (failed > 100_000) throw new Error('writes never recovered');
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
    })();

    await until(() => acknowledged.length >= 20, '20 writes before the crash');
    await sqld.restart({ signal: 'SIGKILL' });
    const ackedBeforeCrash = acknowledged.length;
    // The reader learns that continuity is lost (new primary generation).
    const refetch = await reader.events.until((e) => e.data.type === 'refetch-all', 30_000);
    expect(refetch.data.type).toBe('refetch-all');
    // Writes flow again after the restart.
    await until(() => acknowledged.length >= ackedBeforeCrash + 20, '20 writes after the restart');
    stop = true;
    await traffic;

    // Every acknowledged write is on the primary.
    const ids = [...new Set(acknowledged)];
    const rows = await sqld.execute(`SELECT count(*) FROM orders WHERE id IN (${ids.join(',')})`);
    expect(Number(rows.rows[0]?.[0])).toBe(ids.length);

    // Both servers serve reads of a fresh write again (read-your-writes across servers).
    const fresh = await writer.trpc.orders.setStatus.mutate({ id: ids.at(-1)!, status: 'shipped' });
    const byId = reader.trpc.orders.byId.query as (input: unknown) => Promise<{ status: string } | null>;
    const seen = await byId({ $liveframe: { minFrame: fresh.frame }, input: { id: ids.at(-1) } });
    expect(seen?.status).toBe('shipped');
    // And the live stream continues after the refetch-all.
    const next = await reader.events.until((e) => e.id === fresh.frame || e.data.type === 'refetch-all');
    expect(['invalidate', 'refetch-all']).toContain(next.data.type);
  });
});
