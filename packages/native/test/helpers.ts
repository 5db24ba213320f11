import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  attachExtension,
  type CommitBatch,
  type LibsqlDatabase,
  loadLibsql,
  type NativeConnection,
} from '../src/index.ts';

/** A fresh directory removed on dispose. */
export class TempDir implements Disposable {
  readonly path = mkdtempSync(path.join(tmpdir(), 'liveframe-native-'));
  file(name: string): string {
    return path.join(this.path, name);
  }
  [Symbol.dispose](): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}

/** A local WAL database with the extension attached; closes (and detaches) on dispose. */
export class TestDb implements Disposable {
  readonly db: LibsqlDatabase;
  readonly conn: NativeConnection;
  readonly batches: CommitBatch[] = [];

  constructor(file: string) {
    const Database = loadLibsql();
    this.db = new Database(file);
    this.db.exec('PRAGMA journal_mode=WAL');
    this.conn = attachExtension(this.db);
    this.conn.onCommit((b) => this.batches.push(b));
  }

  /** Drains and returns the batches delivered since the last call. */
  take(): CommitBatch[] {
    this.conn.drain();
    return this.batches.splice(0);
  }

  [Symbol.dispose](): void {
    this.conn[Symbol.dispose]();
    if (this.db.open) this.db.close();
  }
}

/** Waits for `check` to return true, polling on the event loop, failing after `ms`. */
export async function waitFor(check: () => boolean, ms = 5_000, what = 'condition'): Promise<void> {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

export function events(
  batches: readonly CommitBatch[],
): { op: string; table: string; rowid: number | null }[] {
  return batches.flatMap((b) => b.toArray());
}

export function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}
