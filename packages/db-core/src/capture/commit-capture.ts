import type { CommitBatch } from '@liveframe/native';
import type { TableChange } from '../change-set.ts';
import type { Connection } from '../connection.ts';
import { DbError } from '../errors.ts';
import { ReplaceMarkers } from './replace-markers.ts';
import { RowidMoveTriggers } from './rowid-move-triggers.ts';

/** What one committed transaction changed, as the native commit hook reports it. */
export interface CommittedTransaction {
  readonly changes: readonly TableChange[];
}

/**
 * Local-mode change capture on the write connection. The native extension buffers update-hook
 * events per transaction, drops them on rollback (and on ROLLBACK TO a savepoint) and hands
 * one batch per commit to `drain()`; the driver drains right after every statement, so events
 * leave in commit order and without delay.
 */
export interface CommitCapture {
  drain(): CommittedTransaction[];
  /** The schema changed (DDL here or in another process): rebuild what depends on it. */
  schemaChanged(): void;
  close(): void;
}

/** Installs capture on the writer; returns undefined when the native extension is unavailable. */
export type CommitCaptureFactory = (writer: Connection) => CommitCapture | undefined;

/**
 * Row-level capture from our native extension's hooks, plus the two things SQLite's update hook
 * never reports, made visible through TEMP objects on the writer so that they are part of the
 * same transaction (and vanish with it on rollback or ROLLBACK TO):
 * - an UPDATE that moves a row to another rowid reports only the new rowid: TEMP triggers
 *   report the old one (as a delete), see `RowidMoveTriggers`;
 * - rows deleted by a REPLACE conflict are not reported at all: statements that can do that
 *   report their tables with rowid null, see `ReplaceMarkers`.
 *
 * @example
 * const driver = LocalDriver.open({ path, capture: nativeCommitCapture });
 */
export class NativeCommitCapture implements CommitCapture {
  readonly #writer: Connection;
  readonly #moves: RowidMoveTriggers;
  readonly #markers: ReplaceMarkers;
  readonly #unsubscribe: () => void;
  #ready: CommittedTransaction[] = [];
  /** Set while we run our own TEMP DDL, whose (empty) commits are not user transactions. */
  #internal = false;
  #stale = false;
  #closed = false;

  constructor(writer: Connection) {
    this.#writer = writer;
    const extension = writer.requireExtension('change capture');
    this.#moves = new RowidMoveTriggers();
    this.#markers = new ReplaceMarkers(writer);
    this.#unsubscribe = extension.onCommit((batch) => {
      if (!this.#internal) this.#ready.push({ changes: this.#toChanges(batch) });
    });
    this.#rebuild();
    writer.setWriteInterceptor((sql, execute, direct) => this.#markers.intercept(sql, execute, direct));
  }

  drain(): CommittedTransaction[] {
    if (this.#closed) return [];
    try {
      this.#writer.requireExtension('change capture').drain();
    } catch (error) {
      throw new DbError('INTERNAL', 'change capture failed to deliver a commit', { cause: error });
    }
    if (this.#stale && !this.#writer.inTransaction) this.#rebuild();
    const out = this.#ready;
    this.#ready = [];
    return out;
  }

  schemaChanged(): void {
    this.#markers.schemaChanged();
    // TEMP DDL inside the user's open transaction would become part of it: wait for its end.
    if (this.#writer.inTransaction) this.#stale = true;
    else this.#rebuild();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe();
    if (!this.#writer.closed) this.#writer.setWriteInterceptor(undefined);
  }

  #rebuild(): void {
    this.#stale = false;
    const extension = this.#writer.requireExtension('change capture');
    // Whatever the user committed is delivered first; only our own DDL is dropped.
    extension.drain();
    this.#internal = true;
    try {
      this.#writer.exec(this.#moves.rebuildSql(this.#writer) + this.#markers.setupSql());
      extension.drain();
    } finally {
      this.#internal = false;
    }
  }

  #toChanges(batch: CommitBatch): TableChange[] {
    const changes: TableChange[] = [];
    const internal = new Set<number>();
    const ignored = new Set<number>();
    batch.tables.forEach((name, i) => {
      if (name.startsWith('temp.liveframe_')) internal.add(i);
      // liveframe's own tables (the migrations record) are no app change.
      else if (name.startsWith('_liveframe_')) ignored.add(i);
    });
    const markedTables = new Set<string>();
    for (let i = 0; i < batch.size; i++) {
      const tableIndex = batch.tableIndex[i]!;
      if (ignored.has(tableIndex)) continue;
      if (!internal.has(tableIndex)) {
        changes.push({ table: batch.tables[tableIndex]!, op: batch.op(i), rowid: batch.rowid(i) });
        continue;
      }
      const name = batch.tables[tableIndex]!;
      const moved = this.#moves.tableOf(name);
      if (moved !== undefined) {
        // Our trigger inserts the old rowid and deletes it again: report the insert only.
        if (batch.op(i) === 'insert') changes.push({ table: moved, op: 'delete', rowid: batch.rowid(i) });
        continue;
      }
      const rowid = batch.rowid(i);
      const marked = rowid === null ? undefined : this.#markers.tableOf(name, rowid);
      if (marked !== undefined && !markedTables.has(marked)) {
        markedTables.add(marked);
        changes.push({ table: marked, op: 'delete', rowid: null });
      }
    }
    return changes;
  }
}

/**
 * The default capture factory of the local driver.
 * @example LocalDriver.open({ path, capture: nativeCommitCapture })
 */
export const nativeCommitCapture: CommitCaptureFactory = (writer) => new NativeCommitCapture(writer);
