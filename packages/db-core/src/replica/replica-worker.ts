/**
 * Worker thread entry: the one owner of the libsql-js replica connection. Every sync, migration
 * script and change-log upkeep runs here, so the main event loop never waits on libsql-js;
 * after each sync that advanced the frame it reads the change log on its own local connection
 * and reports one AdvanceEvent. Never read through the replica connection with cached
 * statements or get() (engine bugs, see replica-binding.ts).
 */
import { randomUUID } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import {
  applyChangeLogSchema,
  CURSORS_TABLE,
  compactChangeLog,
  type SqlRunner,
} from '../capture/change-log.ts';
import { ChangeLogReader } from '../capture/change-log-reader.ts';
import { Connection } from '../connection.ts';
import { DbError } from '../errors.ts';
import type { FramePosition } from '../position.ts';
import type { AdvanceEvent, RequestEnvelope, WaitReply, WorkerMessage, WorkerOptions } from './protocol.ts';
import { openReplicaConnection, type ReplicaConnection } from './replica-binding.ts';
import { serializeError } from './replica-errors.ts';
import { GenerationTracker, readReplicaMetadata } from './replica-generation.ts';

if (parentPort === null) throw new Error('replica-worker.ts must run in a worker thread');
const port = parentPort;
const options = workerData as WorkerOptions & { cursorHeartbeatMs: number; cursorTtlMs: number };

function post(message: WorkerMessage): void {
  port.postMessage(message);
}

let replica: ReplicaConnection;

/**
 * sqld answers "snapshot not found" (Unavailable) while it compacts its log, and a new replica's
 * first sync needs that snapshot: retry briefly. Blocking this thread is fine, nothing else runs yet.
 */
function firstSync(connection: ReplicaConnection): ReturnType<ReplicaConnection['sync']> {
  const deadline = Date.now() + 10_000;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let attempt = 0; ; attempt++) {
    try {
      return connection.sync();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (!/snapshot not found|Unavailable/i.test(message) || Date.now() > deadline) throw error;
      Atomics.wait(pause, 0, 0, Math.min(200, 10 * 2 ** attempt));
    }
  }
}
let reader: Connection;
let log: ChangeLogReader;
let tracker: GenerationTracker;
const replicaId = randomUUID();

try {
  replica = openReplicaConnection(options.file, options.syncUrl, options.authToken);
  const first = firstSync(replica);
  reader = Connection.open(options.file, { readOnly: true });
  log = new ChangeLogReader(reader);
  tracker = new GenerationTracker({ generation: '', frame: 0 });
  tracker.observe(readReplicaMetadata(options.file), first.frameNo);
  post({ type: 'ready', position: tracker.current, logCursor: log.installed ? log.cursor : null });
} catch (error) {
  post({ type: 'open-failed', error: serializeError(error) });
  // Leave without touching anything else: the main thread rejects open().
  process.exit(1);
}

let closing = false;

interface Waiter {
  readonly id: number;
  readonly target: FramePosition;
  readonly deadline: number;
  /** A target from a generation this replica has not seen may be the next one: sync once before deciding. */
  syncedSinceStart: boolean;
}
const waiters: Waiter[] = [];
let pumpTimer: NodeJS.Timeout | undefined;
let pumpImmediate: NodeJS.Immediate | undefined;
let pumpBackoff = 0;

const replicaRunner: SqlRunner = {
  all: (sql, args) => replica.all(sql, (args ?? []) as never[]) as Record<string, unknown>[],
  run: (sql, args) => replica.run(sql, (args ?? []) as never[]),
};

function reply(id: number, value: unknown): void {
  post({ type: 'reply', id, ok: true, value });
}

function fail(id: number, error: unknown, sql?: string): void {
  post({ type: 'reply', id, ok: false, error: serializeError(error, sql) });
}

/**
 * Records where the replica stands now and, when that moved, reports what arrived: schema
 * changes first (consumers drop statement caches), then the change set, or a refetch-all when
 * the log cannot say (generation change, compaction past the cursor, no log).
 */
function observe(frameFromSync: number | undefined): void {
  const previous = tracker.current;
  const generationChanged = tracker.observe(readReplicaMetadata(options.file), frameFromSync);
  const position = tracker.current;
  if (!generationChanged && position.frame === previous.frame) return;
  const schemaTables = log.schemaChanges();
  let refetchAll: string | null = null;
  let changes: AdvanceEvent['changes'] = null;
  if (generationChanged) {
    log.skipToEnd();
    refetchAll = 'primary generation changed';
  } else {
    const result = log.read();
    if (result.kind === 'refetch-all') refetchAll = result.reason;
    else changes = result.changes;
  }
  const logCursor = log.installed ? log.cursor : null;
  post({
    type: 'advance',
    position,
    previous,
    generationChanged,
    schemaTables,
    changes,
    refetchAll,
    logCursor,
  });
  if (schemaTables !== null && options.autoRefreshTriggers) refreshTriggersIfNeeded();
}

/** The last trigger plan tried: one that an install did not settle is not retried on every sync. */
let lastTriggerPlan: string | null = null;

function refreshTriggersIfNeeded(): void {
  const plan = log.triggerPlanSignature();
  if (plan === null || plan === lastTriggerPlan) return;
  lastTriggerPlan = plan;
  try {
    installChangeLog();
  } catch (error) {
    post({ type: 'sync-error', error: serializeError(error) });
  }
}

function syncNow(): { framesSynced: number; position: FramePosition } {
  const result = replica.sync();
  observe(result.frameNo);
  return { framesSynced: result.framesSynced, position: tracker.current };
}

function inTx<T>(fn: () => T): T {
  replica.exec('BEGIN IMMEDIATE');
  try {
    const value = fn();
    replica.exec('COMMIT');
    return value;
  } catch (error) {
    if (replica.inTransaction) {
      try {
        replica.exec('ROLLBACK');
      } catch {
        // The first error is the one to report.
      }
    }
    throw error;
  }
}

function installChangeLog() {
  const result = inTx(() => applyChangeLogSchema(replicaRunner));
  observe(undefined);
  return {
    tables: result.tables,
    createdTriggers: result.created,
    droppedTriggers: result.dropped,
    position: tracker.current,
  };
}

function heartbeat(): void {
  if (!log.installed) return;
  try {
    replica.run(
      `INSERT INTO ${CURSORS_TABLE}(id, seq, updated_ms) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, updated_ms = excluded.updated_ms`,
      [replicaId, log.cursor, Date.now()],
    );
    observe(undefined);
  } catch (error) {
    post({ type: 'sync-error', error: serializeError(error) });
  }
}

function handle(envelope: RequestEnvelope): void {
  const { id, request } = envelope;
  if (closing) {
    fail(id, new DbError('CLOSED', 'the replica is closing'));
    return;
  }
  const sql = 'sql' in request ? request.sql : undefined;
  try {
    switch (request.type) {
      case 'sync':
        reply(id, syncNow());
        return;
      case 'wait-for-frame':
        waiters.push({ id, target: request.target, deadline: request.deadline, syncedSinceStart: false });
        pumpBackoff = 0;
        // Serve it now (one sync usually brings the frame); later rounds run from timers.
        clearTimeout(pumpTimer);
        if (pumpImmediate !== undefined) clearImmediate(pumpImmediate);
        pump();
        return;
      case 'exec':
        try {
          replica.exec(request.sql);
        } finally {
          observe(undefined);
        }
        reply(id, { position: tracker.current });
        return;
      case 'install-change-log':
        reply(id, installChangeLog());
        return;
      case 'compact-change-log': {
        const now = Date.now();
        replica.run(
          `INSERT INTO ${CURSORS_TABLE}(id, seq, updated_ms) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, updated_ms = excluded.updated_ms`,
          [replicaId, log.cursor, now],
        );
        const result = inTx(() =>
          compactChangeLog(replicaRunner, {
            maxAgeMs: request.maxAgeMs,
            maxRows: request.maxRows,
            cursorTtlMs: options.cursorTtlMs,
            now,
          }),
        );
        observe(undefined);
        reply(id, { ...result, position: tracker.current });
        return;
      }
      case 'snapshot': {
        // A consistent copy from a local connection (VACUUM INTO reads one snapshot).
        const copier = Connection.open(options.file);
        try {
          copier.exec(`VACUUM INTO '${request.path.replaceAll("'", "''")}'`);
        } finally {
          copier.close();
        }
        reply(id, { position: tracker.current });
        return;
      }
      case 'close':
        shutdown(id);
        return;
      case 'debug-exit':
        process.exit(70);
    }
  } catch (error) {
    fail(id, error, sql);
  }
}

function schedulePump(delay: number): void {
  if (pumpTimer !== undefined || pumpImmediate !== undefined) {
    if (delay > 0 || pumpImmediate !== undefined) return;
    clearTimeout(pumpTimer);
    pumpTimer = undefined;
  }
  // setTimeout(0) costs a millisecond; a waiter that can be served now should not pay it.
  if (delay <= 0) pumpImmediate = setImmediate(pump);
  else pumpTimer = setTimeout(pump, delay);
}

function settle(waiter: Waiter, value: WaitReply): void {
  waiters.splice(waiters.indexOf(waiter), 1);
  reply(waiter.id, value);
}

/** Resolves waiters that the current position already answers. */
function settleWaiters(afterSync: boolean): void {
  const position = tracker.current;
  for (const waiter of [...waiters]) {
    if (afterSync) waiter.syncedSinceStart = true;
    if (waiter.target.generation === position.generation) {
      if (waiter.target.frame <= position.frame) settle(waiter, { status: 'reached', position });
    } else if (waiter.syncedSinceStart) {
      settle(waiter, { status: 'generation-changed', position });
    }
  }
  const now = Date.now();
  for (const waiter of [...waiters]) {
    if (now >= waiter.deadline) settle(waiter, { status: 'timeout', position });
  }
}

/**
 * Bounded waiting: instead of syncUntil (which never returns once the primary started a new
 * generation), sync in a loop, re-checking generation and deadline after every round; between
 * rounds the worker stays responsive to other requests.
 */
function pump(): void {
  pumpTimer = undefined;
  pumpImmediate = undefined;
  if (closing || waiters.length === 0) return;
  settleWaiters(false);
  if (waiters.length === 0) return;
  let advanced = false;
  try {
    const before = tracker.current;
    syncNow();
    advanced = tracker.current.frame !== before.frame || tracker.current.generation !== before.generation;
  } catch (error) {
    post({ type: 'sync-error', error: serializeError(error) });
  }
  settleWaiters(true);
  if (waiters.length === 0) return;
  pumpBackoff = advanced ? 0 : Math.min(25, Math.max(1, pumpBackoff * 2));
  const nextDeadline = Math.min(...waiters.map((w) => w.deadline));
  schedulePump(Math.max(0, Math.min(pumpBackoff, nextDeadline - Date.now())));
}

let periodicTimer: NodeJS.Timeout | undefined;
function schedulePeriodic(): void {
  const interval = options.syncIntervalMs ?? 0;
  if (interval <= 0 || closing) return;
  periodicTimer = setTimeout(() => {
    if (waiters.length === 0) {
      try {
        syncNow();
      } catch (error) {
        post({ type: 'sync-error', error: serializeError(error) });
      }
    }
    schedulePeriodic();
  }, interval);
}
schedulePeriodic();

let heartbeatTimer: NodeJS.Timeout | undefined;
if (options.cursorHeartbeatMs > 0) {
  heartbeatTimer = setInterval(heartbeat, options.cursorHeartbeatMs);
  heartbeatTimer.unref();
}

function shutdown(id: number): void {
  closing = true;
  clearTimeout(pumpTimer);
  if (pumpImmediate !== undefined) clearImmediate(pumpImmediate);
  clearTimeout(periodicTimer);
  clearInterval(heartbeatTimer);
  const position = tracker.current;
  for (const waiter of waiters.splice(0)) reply(waiter.id, { status: 'timeout', position });
  try {
    if (replica.inTransaction) replica.exec('ROLLBACK');
  } catch {
    // Closing anyway.
  }
  try {
    reader.close();
    replica.close();
  } catch {
    // Closing anyway.
  }
  reply(id, null);
  port.close();
}

port.on('message', (envelope: RequestEnvelope) => handle(envelope));
