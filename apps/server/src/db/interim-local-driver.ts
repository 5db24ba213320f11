import { randomUUID } from 'node:crypto';
import Database from 'libsql';
import type {
  BindParams,
  CaptureEvent,
  ChangeSet,
  Driver,
  FramePosition,
  Row,
  TableChange,
  Transaction,
  WaitForFrameResult,
  WriteResult,
} from './database-contract.ts';

const META_DDL = `
CREATE TABLE IF NOT EXISTS _lf_meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS _lf_changes (seq INTEGER PRIMARY KEY, tbl TEXT NOT NULL, op TEXT NOT NULL, rid INTEGER);
`;

type Listener = (event: CaptureEvent) => void;

/**
 * Stopgap local-mode driver used until db-core's `openDatabase({ mode: 'local' })` lands: one
 * libsql connection, writes serialized through a promise queue, change capture by triggers into
 * `_lf_changes` (the replica-mode technique, here on the local file), one ChangeSet per committed
 * write. Frame = a persisted commit counter; generation = a random id stored with the file.
 */
export class InterimLocalDriver implements Driver {
  readonly mode = 'local' as const;
  readonly #db: Database.Database;
  readonly #generation: string;
  #frame: number;
  #queue: Promise<unknown> = Promise.resolve();
  readonly #listeners = new Set<Listener>();
  readonly #frameWaiters = new Set<() => void>();
  #closed = false;

  constructor(path: string) {
    this.#db = new Database(path);
    this.#db.exec('PRAGMA journal_mode=WAL; PRAGMA busy_timeout=5000;');
    this.#db.exec(META_DDL);
    const generation = this.#db.prepare("SELECT v FROM _lf_meta WHERE k = 'generation'").all()[0] as
      | { v: string }
      | undefined;
    this.#generation = generation?.v ?? `local-${randomUUID().slice(0, 8)}`;
    const frame = this.#db.prepare("SELECT v FROM _lf_meta WHERE k = 'frame'").all()[0] as
      | { v: string }
      | undefined;
    this.#frame = frame === undefined ? 0 : Number(frame.v);
    this.#db
      .prepare("INSERT OR IGNORE INTO _lf_meta (k, v) VALUES ('generation', ?), ('frame', ?)")
      .run(this.#generation, String(this.#frame));
    this.#db.exec('DELETE FROM _lf_changes');
    this.#refreshTriggers();
    this.explainConnection = new Database(path);
  }

  /**
   * A second connection for the stopgap read-set computation: libsql keeps an EXPLAIN statement
   * "in progress" until it is garbage-collected, which would make COMMIT fail on the write connection.
   */
  readonly explainConnection: Database.Database;

  all<T extends Row = Row>(sql: string, params?: BindParams): T[] {
    return this.#db.prepare(sql).all(...bind(params)) as T[];
  }

  get<T extends Row = Row>(sql: string, params?: BindParams): T | undefined {
    return this.all<T>(sql, params)[0];
  }

  run(sql: string, params?: BindParams): Promise<WriteResult> {
    return this.#write(() => {
      const result = this.#db.prepare(sql).run(...bind(params));
      return { changes: result.changes, lastInsertRowid: BigInt(result.lastInsertRowid) };
    }).then(({ value, position }) => ({ ...value, position }));
  }

  exec(sql: string): Promise<FramePosition> {
    return this.#write(() => {
      this.#db.exec(sql);
      this.#refreshTriggers();
    }).then(({ position }) => position);
  }

  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<{ value: T; position: FramePosition }> {
    return this.#writeAsync(fn);
  }

  position(): FramePosition {
    return { generation: this.#generation, frame: this.#frame };
  }

  async sync(): Promise<{ position: FramePosition; framesSynced: number }> {
    return { position: this.position(), framesSynced: 0 };
  }

  waitForFrame(target: FramePosition, options: { timeoutMs: number }): Promise<WaitForFrameResult> {
    const check = (): WaitForFrameResult | undefined => {
      const position = this.position();
      if (target.generation !== position.generation) return { status: 'generation-changed', position };
      if (position.frame >= target.frame) return { status: 'reached', position };
      return undefined;
    };
    const now = check();
    if (now !== undefined) return Promise.resolve(now);
    return new Promise((resolve) => {
      const waiter = () => {
        const result = check();
        if (result === undefined) return;
        clearTimeout(timer);
        this.#frameWaiters.delete(waiter);
        resolve(result);
      };
      const timer = setTimeout(() => {
        this.#frameWaiters.delete(waiter);
        resolve({ status: 'timeout', position: this.position() });
      }, options.timeoutMs);
      this.#frameWaiters.add(waiter);
    });
  }

  changes(options: { signal?: AbortSignal; bufferSize?: number } = {}): AsyncIterable<CaptureEvent> {
    const bufferSize = options.bufferSize ?? 10_000;
    const listeners = this.#listeners;
    const signal = options.signal;
    return {
      [Symbol.asyncIterator]: () => {
        const buffer: CaptureEvent[] = [];
        let wake: (() => void) | undefined;
        let overflowed = false;
        const listener: Listener = (event) => {
          if (buffer.length >= bufferSize) {
            if (!overflowed) {
              overflowed = true;
              buffer.length = 0;
              const position =
                event.type === 'changes'
                  ? { generation: event.changeSet.generation, frame: event.changeSet.frame }
                  : event.position;
              buffer.push({ type: 'refetch-all', position, reason: 'change stream buffer overflow' });
            }
          } else {
            overflowed = false;
            buffer.push(event);
          }
          wake?.();
        };
        listeners.add(listener);
        const stop = () => {
          listeners.delete(listener);
          wake?.();
        };
        signal?.addEventListener('abort', stop, { once: true });
        return {
          next: async (): Promise<IteratorResult<CaptureEvent>> => {
            for (;;) {
              if (signal?.aborted || this.#closed) return { done: true, value: undefined };
              const event = buffer.shift();
              if (event !== undefined) return { done: false, value: event };
              await new Promise<void>((resolve) => {
                wake = resolve;
              });
              wake = undefined;
            }
          },
          return: async (): Promise<IteratorResult<CaptureEvent>> => {
            stop();
            return { done: true, value: undefined };
          },
        };
      },
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#queue.catch(() => undefined);
    this.#closed = true;
    for (const listener of this.#listeners)
      listener({ type: 'refetch-all', position: this.position(), reason: 'closed' });
    this.#listeners.clear();
    this.#db.close();
    this.explainConnection.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #write<T>(fn: () => T): Promise<{ value: T; position: FramePosition }> {
    return this.#writeAsync(async () => fn());
  }

  #writeAsync<T>(fn: (tx: Transaction) => Promise<T>): Promise<{ value: T; position: FramePosition }> {
    const run = async () => {
      if (this.#closed) throw new Error('database is closed');
      this.#db.exec('BEGIN IMMEDIATE');
      let value: T;
      try {
        value = await fn(this.#transaction());
        this.#db.prepare("UPDATE _lf_meta SET v = CAST(v AS INTEGER) + 1 WHERE k = 'frame'").run();
        this.#db.exec('COMMIT');
      } catch (error) {
        if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
        throw error;
      }
      this.#frame++;
      this.#publish();
      return { value, position: this.position() };
    };
    const result = this.#queue.then(run, run);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  #transaction(): Transaction {
    let savepoints = 0;
    const tx: Transaction = {
      run: async (sql, params) => {
        const result = this.#db.prepare(sql).run(...bind(params));
        return { changes: result.changes, lastInsertRowid: BigInt(result.lastInsertRowid) };
      },
      all: async <T extends Row = Row>(sql: string, params?: BindParams) => this.all<T>(sql, params),
      get: async <T extends Row = Row>(sql: string, params?: BindParams) => this.get<T>(sql, params),
      savepoint: async (fn) => {
        const name = `lf_sp_${++savepoints}`;
        this.#db.exec(`SAVEPOINT ${name}`);
        try {
          const value = await fn(tx);
          this.#db.exec(`RELEASE ${name}`);
          return value;
        } catch (error) {
          this.#db.exec(`ROLLBACK TO ${name}; RELEASE ${name}`);
          throw error;
        }
      },
    };
    return tx;
  }

  #publish(): void {
    const rows = this.#db.prepare('SELECT tbl, op, rid FROM _lf_changes ORDER BY seq').all() as {
      tbl: string;
      op: TableChange['op'];
      rid: number | null;
    }[];
    this.#db.exec('DELETE FROM _lf_changes');
    const changeSet: ChangeSet = {
      generation: this.#generation,
      frame: this.#frame,
      changes: rows.map((r) => ({ table: r.tbl, op: r.op, rowid: r.rid })),
    };
    for (const waiter of [...this.#frameWaiters]) waiter();
    if (changeSet.changes.length === 0) return;
    for (const listener of this.#listeners) listener({ type: 'changes', changeSet });
  }

  #refreshTriggers(): void {
    const tables = this.#db
      .prepare(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_lf_%'",
      )
      .all() as { name: string }[];
    for (const { name } of tables) {
      const quoted = `"${name.replaceAll('"', '""')}"`;
      const literal = `'${name.toLowerCase().replaceAll("'", "''")}'`;
      for (const [op, event, ref] of [
        ['insert', 'INSERT', 'NEW'],
        ['update', 'UPDATE', 'NEW'],
        ['delete', 'DELETE', 'OLD'],
      ] as const) {
        const trigger = `"_lf_${name.replaceAll('"', '""')}_${op}"`;
        this.#db.exec(
          `CREATE TRIGGER IF NOT EXISTS ${trigger} AFTER ${event} ON ${quoted} BEGIN ` +
            `INSERT INTO _lf_changes (tbl, op, rid) VALUES (${literal}, '${op}', ${ref}.rowid); END`,
        );
      }
    }
  }
}

function bind(params?: BindParams): unknown[] {
  if (params === undefined) return [];
  return Array.isArray(params) ? [...params] : [params];
}
