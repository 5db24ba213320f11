import { describe, expect, it } from 'vitest';
import { attachExtension, loadLibsql, NativeError } from '../src/index.ts';
import { startSqld } from '../src/testing/index.ts';
import { catchError, TempDir, TestDb } from './helpers.ts';

// Regression guard for the design: if libsql-js ever allows extensions on replicas, the hooks
// could replace the replicated change log; until then replica mode needs the change log.
describe('replica connections', () => {
  it('refuse loadExtension, so attachExtension fails with EXTENSION_LOAD_FAILED', async () => {
    await using sqld = await startSqld();
    using dir = new TempDir();
    const Database = loadLibsql();
    const replica = new Database(dir.file('replica.db'), { syncUrl: sqld.url });
    try {
      replica.sync();
      const error = catchError(() => attachExtension(replica));
      expect(error).toBeInstanceOf(NativeError);
      expect((error as NativeError).code).toBe('EXTENSION_LOAD_FAILED');
      expect(String((error as NativeError).cause)).toMatch(/LoadExtensionNotSupported|not supported/i);
      // A plain local connection on the same file accepts the extension (FACTS.md's recipe).
      using local = new TestDb(dir.file('replica.db'));
      expect(local.conn.isOpen).toBe(true);
    } finally {
      replica.close();
    }
  });
});
