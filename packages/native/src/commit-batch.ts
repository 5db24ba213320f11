import type { RawCommitBatch } from './addon-binding.ts';

export type ChangeOp = 'insert' | 'update' | 'delete';

/** One changed row. `rowid` is null for a table-level change: see CommitBatch. */
export interface ChangeEvent {
  readonly op: ChangeOp;
  readonly table: string;
  readonly rowid: number | null;
}

const opNames: readonly ChangeOp[] = ['insert', 'insert', 'update', 'delete'];

/**
 * The changes of one committed transaction on one connection, stored column-wise so that a
 * 100k-row commit costs three typed-array copies instead of 100k objects.
 *
 * A null rowid means "some row of this table" (table-level change). It is used when the rowid
 * does not fit a JS number exactly (beyond ±2^53-1), and for WITHOUT ROWID tables, which never
 * fire SQLite's update hook: their writes are reported once per statement, even when the
 * statement ends up changing no row.
 *
 * Table names are bare for the `main` schema and `schema.table` for attached/temp ones.
 *
 * @example
 * conn.onCommit((batch) => {
 *   for (const { op, table, rowid } of batch) invalidate(table, rowid, op);
 * });
 */
export class CommitBatch implements Iterable<ChangeEvent> {
  /** Per-connection commit sequence number: 1, 2, 3... in commit order. */
  readonly seq: number;
  /** WAL size in frames after this commit as SQLite reports it (0 outside WAL mode). */
  readonly walFrames: number;
  /**
   * Frames appended to the WAL by this connection since its previous commit. Exact when this
   * connection is the only writer of the file (local mode); 0 outside WAL mode.
   */
  readonly framesWritten: number;
  /** Distinct tables touched, indexed by `tableIndex`. */
  readonly tables: readonly string[];
  /** 1 = insert, 2 = update, 3 = delete. */
  readonly ops: Uint8Array;
  readonly tableIndex: Uint32Array;
  /** NaN where the event is table-level (rowid null). */
  readonly rowids: Float64Array;

  constructor(raw: RawCommitBatch) {
    this.seq = raw.seq;
    this.walFrames = raw.walFrames;
    this.framesWritten = raw.framesWritten;
    this.tables = raw.tables;
    this.ops = raw.ops;
    this.tableIndex = raw.tableIndex;
    this.rowids = raw.rowids;
  }

  /** Number of change events. */
  get size(): number {
    return this.ops.length;
  }

  op(i: number): ChangeOp {
    return opNames[this.ops[i] ?? 0] ?? 'update';
  }

  table(i: number): string {
    return this.tables[this.tableIndex[i] ?? 0] ?? '';
  }

  rowid(i: number): number | null {
    const r = this.rowids[i];
    return r === undefined || Number.isNaN(r) ? null : r;
  }

  *[Symbol.iterator](): IterableIterator<ChangeEvent> {
    for (let i = 0; i < this.ops.length; i++) {
      yield { op: this.op(i), table: this.table(i), rowid: this.rowid(i) };
    }
  }

  toArray(): ChangeEvent[] {
    return [...this];
  }
}
