// Replica control: waitForFrame across replicas, event-loop delay while a replica syncs 10k
// writes, write-on-A-to-ChangeSet-on-B. Baselines (same run): an idle sync round trip, an idle
// event loop, and the same 10k-frame sync done on the main thread by a raw libsql-js replica.
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startSqld } from '@liveframe/native/testing';
import type { CaptureEvent } from '../src/change-set.ts';
import { ReplicaDriver } from '../src/replica/replica-driver.ts';
import { mergeResults, percentile, round } from './replica-bench-helpers.ts';

const ROUNDS = Number(process.env.BENCH_WAIT_ROUNDS ?? 300);
const BULK = 10_000;
const CAPTURE_INTERVAL_MS = 5;
const dir = mkdtempSync(join(tmpdir(), 'replica-bench-'));

async function nextChanges(stream: AsyncIterator<CaptureEvent>): Promise<void> {
  for (;;) {
    const next = await stream.next();
    if (next.done) throw new Error('stream ended');
    if (next.value.type === 'changes') return;
  }
}

async function eventLoopP99While(work: () => Promise<void>): Promise<{ p99: number; max: number }> {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  await work();
  histogram.disable();
  return { p99: histogram.percentile(99) / 1e6, max: histogram.max / 1e6 };
}

try {
  await using sqld = await startSqld();
  await using a = await ReplicaDriver.open({
    path: join(dir, 'a.db'),
    syncUrl: sqld.url,
    cursorHeartbeatMs: 0,
  });
  await using b = await ReplicaDriver.open({
    path: join(dir, 'b.db'),
    syncUrl: sqld.url,
    cursorHeartbeatMs: 0,
  });
  await a.exec(
    'CREATE TABLE w(id INTEGER PRIMARY KEY, v INTEGER); CREATE TABLE bulk(id INTEGER PRIMARY KEY, v INTEGER)',
  );
  await a.installChangeLog();
  await b.sync();
  const Libsql = createRequire(import.meta.url)('libsql') as new (
    p: string,
    o: Record<string, unknown>,
  ) => { sync(): unknown; close(): void };
  const raw = new Libsql(join(dir, 'raw.db'), { syncUrl: sqld.url });
  raw.sync();

  // --- waitForFrame: write on A, wait on B; baseline: B's idle sync round trip
  const idleSync: number[] = [];
  const writes: number[] = [];
  const waits: number[] = [];
  for (let i = 0; i < ROUNDS + 20; i++) {
    let t = performance.now();
    await b.sync();
    if (i >= 20) idleSync.push(performance.now() - t);
    t = performance.now();
    const w = await a.run('INSERT INTO w(v) VALUES (?)', [i]);
    if (i >= 20) writes.push(performance.now() - t);
    t = performance.now();
    const r = await b.waitForFrame(w.position, { timeoutMs: 10_000 });
    if (r.status !== 'reached') throw new Error(`waitForFrame: ${r.status}`);
    if (i >= 20) waits.push(performance.now() - t);
  }

  // --- event-loop delay while B syncs 10k writes (10k frames written straight on the primary)
  const idle = await eventLoopP99While(() => new Promise((resolve) => setTimeout(resolve, 1_000)));
  // 10k single-row writes on the primary, committed as 100 transactions of 100 (10k autocommit
  // transactions make ~20k frames and take the replica tens of seconds to apply on this machine).
  const writeBulk = async (offset: number) => {
    for (let start = 0; start < BULK; start += 1_000) {
      const statements: { sql: string; args?: number[] }[] = [];
      for (let i = 0; i < 1_000; i++) {
        if (i % 100 === 0) statements.push({ sql: 'BEGIN' });
        statements.push({ sql: 'INSERT INTO bulk(v) VALUES (?)', args: [offset + start + i] });
        if (i % 100 === 99) statements.push({ sql: 'COMMIT' });
      }
      await sqld.batch(statements);
    }
  };
  await writeBulk(0);
  const stream = b.changes({ bufferSize: 4 });
  let changed = 0;
  const drain = (async () => {
    for await (const event of stream) if (event.type === 'changes') changed += event.changeSet.changes.length;
  })();
  let framesSynced = 0;
  let syncMs = 0;
  const worker = await eventLoopP99While(async () => {
    const started = performance.now();
    const result = await b.sync();
    syncMs = performance.now() - started;
    framesSynced = result.framesSynced;
  });
  await stream.return?.();
  await drain;

  // A smaller batch (1k writes) synced on the main thread by a raw libsql-js replica: what the worker avoids.
  raw.sync();
  for (let start = 0; start < 1_000; start += 500) {
    await sqld.batch(
      Array.from({ length: 500 }, (_, i) => ({ sql: 'INSERT INTO bulk(v) VALUES (?)', args: [start + i] })),
    );
  }
  const mainThread = await eventLoopP99While(async () => {
    await new Promise((resolve) => setTimeout(resolve, 5));
    raw.sync();
    await new Promise((resolve) => setTimeout(resolve, 5));
  });
  raw.close();

  // --- capture: write on A -> ChangeSet on B (B syncs every CAPTURE_INTERVAL_MS; nobody tells it)
  await using c = await ReplicaDriver.open({
    path: join(dir, 'c.db'),
    syncUrl: sqld.url,
    cursorHeartbeatMs: 0,
    syncIntervalMs: CAPTURE_INTERVAL_MS,
  });
  const cStream = c.changes();
  const capture: number[] = [];
  for (let i = 0; i < ROUNDS / 2 + 10; i++) {
    const t = performance.now();
    const seen = nextChanges(cStream);
    await a.run('INSERT INTO w(v) VALUES (?)', [i]);
    await seen;
    if (i >= 10) capture.push(performance.now() - t);
  }
  await cStream.return?.();
  // Same, but B is told the frame (waitForFrame, as the read-your-writes path does).
  const told: number[] = [];
  const bStream = b.changes();
  for (let i = 0; i < ROUNDS / 2 + 10; i++) {
    const t = performance.now();
    const seen = nextChanges(bStream);
    const w = await a.run('INSERT INTO w(v) VALUES (?)', [i]);
    await b.waitForFrame(w.position, { timeoutMs: 10_000 });
    await seen;
    if (i >= 10) told.push(performance.now() - t);
  }
  await bStream.return?.();
  // Same, but A hands B the change-log rows its batch read at the acknowledgement, as the servers'
  // sync hints do (in-process here: no HTTP hop): B publishes them before it syncs.
  const handed: number[] = [];
  const stopHanding = a.onPrimaryCommit((position, rows) => {
    if (rows !== null) b.applyPeerChanges(position, rows);
  });
  await b.sync();
  const hStream = b.changes();
  for (let i = 0; i < ROUNDS / 2 + 10; i++) {
    const t = performance.now();
    const seen = nextChanges(hStream);
    const write = a.batch([{ sql: 'INSERT INTO w(v) VALUES (?)', params: [i] }]);
    await seen; // B's event, which comes before A's own write resolves (after A's sync)
    if (i >= 10) handed.push(performance.now() - t);
    await write;
    await b.sync(); // the next round starts with B caught up, as after a hint's sync
  }
  stopHanding();
  await hStream.return?.();

  const idleP50 = percentile(idleSync, 50);
  const rows = [
    { metric: 'idle sync() round trip p50 (baseline)', ms: round(idleP50), ratio: 1 },
    {
      metric: 'write on A (delegated, read-your-writes) p50',
      ms: round(percentile(writes, 50)),
      ratio: round(percentile(writes, 50) / idleP50),
    },
    {
      metric: 'wait_for_frame p50',
      ms: round(percentile(waits, 50)),
      ratio: round(percentile(waits, 50) / idleP50),
    },
    {
      metric: 'wait_for_frame p95',
      ms: round(percentile(waits, 95)),
      ratio: round(percentile(waits, 95) / idleP50),
    },
    { metric: 'event loop p99, idle (baseline)', ms: round(idle.p99), ratio: 1 },
    {
      metric: `event loop p99, worker syncs 10k writes (${framesSynced} frames)`,
      ms: round(worker.p99),
      ratio: round(worker.p99 / idle.p99),
    },
    { metric: 'event loop max, worker sync', ms: round(worker.max), ratio: round(worker.max / idle.p99) },
    {
      metric: 'event loop max, raw replica syncs 1k writes on main thread',
      ms: round(mainThread.max),
      ratio: round(mainThread.max / idle.p99),
    },
    {
      metric: `capture A->B p50 (B syncs every ${CAPTURE_INTERVAL_MS} ms)`,
      ms: round(percentile(capture, 50)),
      ratio: round(percentile(capture, 50) / idleP50),
    },
    {
      metric: 'capture A->B p95 (periodic)',
      ms: round(percentile(capture, 95)),
      ratio: round(percentile(capture, 95) / idleP50),
    },
    {
      metric: 'capture A->B p50 (B waits for the frame)',
      ms: round(percentile(told, 50)),
      ratio: round(percentile(told, 50) / idleP50),
    },
    {
      metric: "capture A->B p50 (A's batch hands B its rows)",
      ms: round(percentile(handed, 50)),
      ratio: round(percentile(handed, 50) / idleP50),
    },
  ];
  console.table(rows);
  console.log(
    `10k writes: ${framesSynced} frames synced in ${round(syncMs)} ms; ${changed} changes delivered`,
  );
  mergeResults('db-core.json', {
    wait_for_frame_p50_ms: round(percentile(waits, 50)),
    wait_for_frame_p95_ms: round(percentile(waits, 95)),
    event_loop_delay_p99_ms: round(worker.p99),
  });
  mergeResults('reactive.json', {
    capture_replica_p50_ms: round(percentile(capture, 50)),
    capture_replica_p95_ms: round(percentile(capture, 95)),
    capture_replica_waited_p50_ms: round(percentile(told, 50)),
    capture_replica_handed_rows_p50_ms: round(percentile(handed, 50)),
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
