import { Connection, type ConnectionOptions } from './connection.ts';

export type ConnectionRole = 'writer' | 'reader' | 'aux';

/** Applied to every local connection a driver owns, now and later (functions, limits, authorizer...). */
export type ConnectionSetup = (conn: Connection, role: ConnectionRole) => void;

/**
 * What the Database facade needs from a driver to offer cursors, introspection, read-sets and
 * native per-connection features. Both drivers read from plain local connections on the same
 * file, so both provide one (the replica driver through its own ReadConnectionPool).
 */
export interface LocalConnections {
  /** The connection synchronous reads use. */
  readonly reader: Connection;
  /** A connection of its own for a cursor or a read-only transaction; give it back with `release`. */
  acquire(): Connection;
  release(conn: Connection): void;
  /** Runs `setup` on every open connection and on each one opened later; returns an undo. */
  addSetup(setup: ConnectionSetup): () => void;
  /** Drops cached statements everywhere (after DDL). */
  invalidateStatements(): void;
}

const MAX_IDLE_AUX = 2;

/**
 * Query-only local connections on one file: one for synchronous reads plus a small pool of
 * auxiliary ones. Cursors need their own connection because an unfinished statement pins the
 * connection's read snapshot, and releasing it early means interrupting the whole connection.
 *
 * @example
 * const pool = new ReadConnectionPool('/data/app.db', { busyTimeoutMs: 5000 });
 * pool.reader.get('SELECT 1 AS one');
 */
export class ReadConnectionPool implements LocalConnections, Disposable {
  readonly #path: string;
  readonly #options: ConnectionOptions;
  readonly #setups = new Set<ConnectionSetup>();
  readonly #idle: Connection[] = [];
  readonly #busy = new Set<Connection>();
  readonly #extra = new Map<Connection, ConnectionRole>();
  #reader: Connection | undefined;
  #closed = false;

  constructor(path: string, options: ConnectionOptions = {}) {
    this.#path = path;
    // Every pooled connection carries our extension: functions, limits, authorizer and
    // deadlines must work on whichever connection a read lands on.
    this.#options = { extension: true, ...options, readOnly: true };
  }

  get reader(): Connection {
    if (this.#reader === undefined || this.#reader.closed) {
      this.#reader = this.#open('reader');
    }
    return this.#reader;
  }

  acquire(): Connection {
    const conn = this.#idle.pop() ?? this.#open('aux');
    this.#busy.add(conn);
    return conn;
  }

  release(conn: Connection): void {
    if (!this.#busy.delete(conn)) return;
    if (this.#closed || conn.closed || this.#idle.length >= MAX_IDLE_AUX) conn.close();
    else this.#idle.push(conn);
  }

  /** Registers a connection opened elsewhere (the local writer) so setups reach it too. */
  adopt(conn: Connection, role: ConnectionRole): void {
    this.#extra.set(conn, role);
    for (const setup of this.#setups) setup(conn, role);
  }

  addSetup(setup: ConnectionSetup): () => void {
    this.#setups.add(setup);
    for (const [conn, role] of this.#all()) setup(conn, role);
    return () => this.#setups.delete(setup);
  }

  invalidateStatements(): void {
    for (const [conn] of this.#all()) conn.invalidateStatements();
  }

  close(): void {
    this.#closed = true;
    for (const conn of [...this.#idle, ...this.#busy]) conn.close();
    this.#idle.length = 0;
    this.#busy.clear();
    this.#reader?.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  *#all(): Generator<[Connection, ConnectionRole]> {
    for (const [conn, role] of this.#extra) if (!conn.closed) yield [conn, role];
    if (this.#reader !== undefined && !this.#reader.closed) yield [this.#reader, 'reader'];
    for (const conn of this.#idle) yield [conn, 'aux'];
    for (const conn of this.#busy) yield [conn, 'aux'];
  }

  #open(role: ConnectionRole): Connection {
    if (this.#closed) {
      // Connection.open on a closed pool would leak; fail like any closed handle.
      const conn = Connection.open(':memory:');
      conn.close();
      return conn;
    }
    const conn = Connection.open(this.#path, this.#options);
    try {
      for (const setup of this.#setups) setup(conn, role);
    } catch (error) {
      conn.close();
      throw error;
    }
    return conn;
  }
}
