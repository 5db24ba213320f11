import {
  attachExtension,
  type ChangeEvent,
  type CommitBatch,
  type LibsqlDatabase,
  loadLibsql,
  type NativeConnection,
  NativeError,
} from '@liveframe/native';

/** What a subscriber hears: one notice per committed transaction, never one for a rolled-back one. */
export interface CommitNotice {
  /** The connection's commit sequence number (1, 2, 3... in commit order). */
  readonly seq: number;
  readonly changes: readonly ChangeEvent[];
}

/**
 * A tiny local-mode todo store that reacts to its own commits through liveframe's native hooks:
 * the extension's update hook buffers row changes per transaction, the commit hook hands them
 * over as one batch, and a rollback (explicit, failed statement, or vetoed commit) drops them.
 */
export class RealtimeTodos implements Disposable {
  readonly #db: LibsqlDatabase;
  readonly #native: NativeConnection;
  readonly #listeners = new Set<(notice: CommitNotice) => void>();

  constructor(file: string) {
    const Database = loadLibsql();
    this.#db = new Database(file);
    this.#db.exec('PRAGMA journal_mode = WAL');
    this.#native = attachExtension(this.#db);
    this.#native.onCommit((batch) => this.#publish(batch));
    this.#db.exec(
      'CREATE TABLE IF NOT EXISTS todo(id INTEGER PRIMARY KEY, title TEXT NOT NULL, done INTEGER NOT NULL DEFAULT 0)',
    );
    // The CREATE TABLE above committed too (with no row events); deliver it now so it is not mistaken for app data.
    this.#native.drain();
  }

  /** Subscribes to committed changes; returns the unsubscribe function. */
  subscribe(listener: (notice: CommitNotice) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  add(title: string): number {
    const result = this.#db.prepare('INSERT INTO todo(title) VALUES (?)').run(title);
    this.#native.drain(); // deliver synchronously instead of on the next event-loop turn
    return Number(result.lastInsertRowid);
  }

  complete(id: number): void {
    this.#db.prepare('UPDATE todo SET done = 1 WHERE id = ?').run(id);
    this.#native.drain();
  }

  remove(id: number): void {
    this.#db.prepare('DELETE FROM todo WHERE id = ?').run(id);
    this.#native.drain();
  }

  /**
   * Runs several statements as one transaction: subscribers get a single notice with every row
   * change, or nothing at all if `work` throws and the transaction rolls back.
   */
  batch(work: (tx: { add(title: string): void; complete(id: number): void }) => void): void {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      work({
        add: (title) => void this.#db.prepare('INSERT INTO todo(title) VALUES (?)').run(title),
        complete: (id) => void this.#db.prepare('UPDATE todo SET done = 1 WHERE id = ?').run(id),
      });
      this.#db.exec('COMMIT');
    } catch (error) {
      if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
      throw this.#native.translateError(error);
    } finally {
      this.#native.drain();
    }
  }

  /**
   * Refuses any commit that would change more than `maxRows` rows: the veto runs inside SQLite's
   * commit hook, before the commit is durable, and turns it into a rollback (COMMIT_VETOED).
   */
  limitRowsPerCommit(maxRows: number | null): void {
    this.#native.setCommitVeto(maxRows === null ? null : (pending) => pending <= maxRows);
  }

  list(): { id: number; title: string; done: number }[] {
    return this.#db.prepare('SELECT id, title, done FROM todo ORDER BY id').all() as {
      id: number;
      title: string;
      done: number;
    }[];
  }

  [Symbol.dispose](): void {
    this.#native[Symbol.dispose]();
    if (this.#db.open) this.#db.close();
  }

  #publish(batch: CommitBatch): void {
    const notice: CommitNotice = { seq: batch.seq, changes: batch.toArray() };
    for (const listener of this.#listeners) listener(notice);
  }
}

/** True for the typed error a vetoed commit surfaces as. */
export function isVetoed(error: unknown): boolean {
  return error instanceof NativeError && error.code === 'COMMIT_VETOED';
}
