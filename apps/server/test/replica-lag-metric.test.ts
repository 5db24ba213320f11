import { startSqld } from '@liveframe/native/testing';
import { createRouter, liveRouter } from '@liveframe/server';
import { describe, expect, it } from 'vitest';
import { startServer } from '../src/testing/index.ts';

const SCHEMA = 'CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, body TEXT NOT NULL)';

/** One gauge of a real `GET /metrics`. */
async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (line === undefined) throw new Error(`${name} missing from /metrics`);
  return Number(line.slice(name.length + 1));
}

async function health(url: string): Promise<{ frame: number; primaryFrame?: number }> {
  return (await fetch(`${url}/health`)).json() as Promise<{ frame: number; primaryFrame?: number }>;
}

describe('replica lag metric', () => {
  it('shows how far the replica is behind the primary frame the server has seen, and 0 after a sync', async () => {
    await using sqld = await startSqld();
    // No periodic sync in the test's time: the replica only moves when the test makes it.
    await using server = await startServer({
      mode: 'replica',
      primaryUrl: sqld.url,
      router: createRouter({ live: liveRouter }),
      schema: SCHEMA,
      config: { syncIntervalMs: 600_000 },
    });
    const driver = server.services.database.driver;
    expect(await metric(server.url, 'liveframe_replica_lag_frames')).toBe(0);

    // Written behind the server's back: its replica does not have these frames.
    await sqld.execute("INSERT INTO items (body) VALUES ('a')");
    const direct = await sqld.execute("INSERT INTO items (body) VALUES ('b')");
    const primaryFrame = direct.replicationIndex!;
    const localFrame = driver.position().frame;
    expect(primaryFrame).toBeGreaterThan(localFrame);

    // A read on the primary (inside a transaction) tells the server the primary's frame; the
    // replica has not synced yet, so the lag is exactly the frames written behind its back.
    await driver.transaction(async (tx) => {
      expect((await tx.get<{ n: number }>('SELECT count(*) AS n FROM items'))?.n).toBe(2);
      expect(driver.position().frame).toBe(localFrame);
      expect(await metric(server.url, 'liveframe_replica_lag_frames')).toBe(primaryFrame - localFrame);
      expect(await health(server.url)).toMatchObject({ frame: localFrame, primaryFrame });
    });

    // The commit syncs the replica: the lag returns to 0.
    const end = Date.now() + 10_000;
    while ((await metric(server.url, 'liveframe_replica_lag_frames')) !== 0) {
      if (Date.now() > end) throw new Error('replica lag did not return to 0 within 10 s');
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(driver.position().frame).toBeGreaterThanOrEqual(primaryFrame);
    expect(driver.all('SELECT body FROM items ORDER BY id')).toEqual([{ body: 'a' }, { body: 'b' }]);
  });
});
