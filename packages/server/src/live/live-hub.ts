import type { CaptureEvent as DbCaptureEvent } from '@liveframe/db-core';
import { type CaptureEvent, LiveQueryHub } from '@liveframe/reactive';
import type { Logger } from 'pino';
import type { Database } from '../db/database-contract.ts';
import type { StatementTablesCache } from '../db/request-database.ts';
import type { LiveSessions } from './live-sessions.ts';

/**
 * The server's live hub is reactive's {@link LiveQueryHub}, started at db-core's position.
 *
 * @example const hub = createLiveHub(db, { historySize: 4096, bufferSize: 256 });
 */
export function createLiveHub(
  db: Database,
  options: { readonly historySize: number; readonly bufferSize: number },
): LiveQueryHub {
  return new LiveQueryHub({
    position: db.position(),
    history: { maxEntries: options.historySize },
    bufferSize: options.bufferSize,
  });
}

/**
 * The change pump: every capture event of db-core (any writer: this server, another server
 * through the primary, a shell) reaches the hub in commit order; schema events also reset the
 * statement-tables cache and re-derive the read-sets they may have changed.
 *
 * @example const pump = pumpChanges({ db, hub, sessions, tables, logger, signal });
 */
export function pumpChanges(options: {
  readonly db: Database;
  readonly hub: LiveQueryHub;
  readonly sessions: LiveSessions;
  readonly tables: StatementTablesCache;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  /** Runs after every event reached the hub. */
  readonly afterEvent?: () => void;
}): Promise<void> {
  const { db, hub, sessions, tables, logger, signal } = options;
  return (async () => {
    for await (const event of db.changes({ signal, bufferSize: 4096 })) {
      if (event.type !== 'changes') tables.clear();
      const result = hub.publish(toReactive(event));
      sessions.afterPublish(result);
      if (event.type === 'schema' && event.tables === undefined) sessions.rederiveAll();
      options.afterEvent?.();
    }
  })().catch((error: unknown) => {
    if (!signal.aborted) logger.error({ err: error }, 'change stream failed');
  });
}

/** db-core and reactive declare the same event shape separately (neither imports the other). */
function toReactive(event: DbCaptureEvent): CaptureEvent {
  return event;
}
