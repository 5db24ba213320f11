import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSqld } from '@liveframe/native/testing';
import { afterAll, beforeAll } from 'vitest';
import type { CaptureEvent, ChangeSet } from '../src/change-set.ts';
import { ReplicaDriver, type ReplicaDriverOptions } from '../src/replica/replica-driver.ts';

/** A temp directory removed on dispose. */
export function tempDir(): { path: string } & Disposable {
  const path = mkdtempSync(join(tmpdir(), 'liveframe-replica-'));
  return { path, [Symbol.dispose]: () => rmSync(path, { recursive: true, force: true }) };
}

export type Sqld = Awaited<ReturnType<typeof startSqld>>;

/**
 * One sqld for the calling test file: started before its tests (and handed to `use`), stopped
 * after them.
 */
export function sqldForFile(use: (sqld: Sqld) => void): void {
  let sqld: Sqld | undefined;
  beforeAll(async () => {
    sqld = await startSqld();
    use(sqld);
  });
  afterAll(async () => {
    await sqld?.[Symbol.asyncDispose]();
  });
}

let counter = 0;

/** Opens a replica in `dir` (a fresh file each call); dispose closes it (worker stopped by message). */
export function openReplica(
  dir: string,
  syncUrl: string,
  options: Partial<ReplicaDriverOptions> = {},
): Promise<ReplicaDriver> {
  counter += 1;
  return ReplicaDriver.open({
    path: join(dir, `replica-${counter}.db`),
    syncUrl,
    cursorHeartbeatMs: 0,
    ...options,
  });
}

/**
 * Pulls events from a change stream until `accept` says stop. Fails after `ms` so a broken test
 * reports instead of hanging (a deadline, not a timing assertion).
 */
export async function collectUntil(
  stream: AsyncIterator<CaptureEvent>,
  accept: (events: CaptureEvent[]) => boolean,
  ms = 20_000,
): Promise<CaptureEvent[]> {
  const events: CaptureEvent[] = [];
  const deadline = Date.now() + ms;
  while (!accept(events)) {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no matching event within ${ms} ms; got ${JSON.stringify(summary(events))}`)),
        Math.max(1, deadline - Date.now()),
      );
    });
    try {
      const next = await Promise.race([stream.next(), timeout]);
      if (next.done) throw new Error(`stream ended; got ${JSON.stringify(summary(events))}`);
      events.push(next.value);
    } finally {
      clearTimeout(timer);
    }
  }
  return events;
}

function summary(events: CaptureEvent[]): unknown[] {
  return events.map((e) => (e.type === 'changes' ? { changes: e.changeSet.changes.length } : e));
}

export function changeSets(events: CaptureEvent[]): ChangeSet[] {
  return events.flatMap((e) => (e.type === 'changes' ? [e.changeSet] : []));
}

export function allChanges(events: CaptureEvent[]) {
  return changeSets(events).flatMap((c) => c.changes);
}
