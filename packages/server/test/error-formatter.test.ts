import { DbError } from '@liveframe/db-core';
import { describe, expect, it } from 'vitest';
import { formatLiveframeError, ServerError, toTRPCError } from '../src/index.ts';

/** What a client sees: the tRPC code and `data.liveframe`. */
function onTheWire(error: unknown) {
  const trpc = toTRPCError(error);
  const shape = formatLiveframeError({ shape: { data: { code: trpc.code, stack: 'x' } }, error: trpc });
  return {
    code: trpc.code,
    message: trpc.message,
    liveframe: shape.data.liveframe,
    stack: 'stack' in shape.data,
  };
}

describe('error formatter', () => {
  it('maps the retryable db codes to SERVICE_UNAVAILABLE with their own liveframe code', () => {
    for (const code of ['PRIMARY_UNAVAILABLE', 'WORKER_EXITED', 'BUSY', 'BUSY_SNAPSHOT'] as const) {
      const wire = onTheWire(new DbError(code, 'primary unavailable: connect ECONNREFUSED 10.0.0.7:8080'));
      expect(wire, code).toMatchObject({ code: 'SERVICE_UNAVAILABLE', liveframe: { code, dbCode: code } });
      // The primary's address stays in the server log.
      expect(wire.message).not.toContain('10.0.0.7');
      expect(wire.stack).toBe(false);
    }
  });

  it('finds a primary outage that a procedure wrapped in its own error', () => {
    const outage = new DbError('PRIMARY_UNAVAILABLE', 'primary unavailable: socket hang up');
    const wrapped = new Error('could not place order', {
      cause: new Error('write failed', { cause: outage }),
    });
    expect(onTheWire(wrapped)).toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      liveframe: { code: 'PRIMARY_UNAVAILABLE', dbCode: 'PRIMARY_UNAVAILABLE' },
    });
  });

  it('keeps the other mappings: constraints CONFLICT, other db errors internal, server errors their own code', () => {
    expect(onTheWire(new DbError('CONSTRAINT', 'UNIQUE constraint failed: t.v'))).toMatchObject({
      code: 'CONFLICT',
      liveframe: { code: 'DB_ERROR', dbCode: 'CONSTRAINT' },
    });
    expect(onTheWire(new DbError('SQL_ERROR', 'no such table: nope'))).toMatchObject({
      code: 'INTERNAL_SERVER_ERROR',
      message: 'database error',
      liveframe: { code: 'DB_ERROR', dbCode: 'SQL_ERROR' },
    });
    // Only the retryable codes are looked for under a procedure's own error.
    expect(onTheWire(new Error('oops', { cause: new DbError('SQL_ERROR', 'no such table') }))).toMatchObject({
      code: 'INTERNAL_SERVER_ERROR',
      liveframe: { code: 'INTERNAL_SERVER_ERROR' },
    });
    const timeout = new ServerError('FRAME_TIMEOUT', 'replica did not reach g:9', {
      cause: new DbError('PRIMARY_UNAVAILABLE', 'primary unavailable'),
    });
    expect(onTheWire(timeout)).toMatchObject({ code: 'TIMEOUT', liveframe: { code: 'FRAME_TIMEOUT' } });
  });

  it("maps the error inside Drizzle's DrizzleQueryError (which leaves `name` at 'Error'), and LibsqlBatchError", () => {
    // The shapes drizzle-orm 0.45 and @libsql/client throw (apps/server/test/drizzle-live.test.ts runs the real ones).
    class DrizzleQueryError extends Error {}
    const libsql = (name: string, code: string, message: string) =>
      Object.assign(new Error(message), { name, code });
    const unique = libsql(
      'LibsqlError',
      'SQLITE_CONSTRAINT',
      'SQLITE_CONSTRAINT: UNIQUE constraint failed: t.v',
    );
    expect(new DrizzleQueryError('Failed query: insert', { cause: unique }).name).toBe('Error');
    expect(onTheWire(new DrizzleQueryError('Failed query: insert', { cause: unique }))).toMatchObject({
      code: 'CONFLICT',
      liveframe: { code: 'DB_ERROR', dbCode: 'SQLITE_CONSTRAINT' },
    });
    const inBatch = libsql('LibsqlBatchError', 'SQLITE_CONSTRAINT', 'FOREIGN KEY constraint failed');
    expect(onTheWire(inBatch)).toMatchObject({ code: 'CONFLICT', liveframe: { code: 'DB_ERROR' } });
    const refused = new ServerError('FORBIDDEN_TABLE', 'this identity may not use table secrets');
    expect(
      onTheWire(
        new DrizzleQueryError('Failed query: select', {
          cause: Object.assign(libsql('LibsqlError', 'FORBIDDEN_TABLE', 'x'), { cause: refused }),
        }),
      ),
    ).toMatchObject({ code: 'FORBIDDEN', liveframe: { code: 'FORBIDDEN_TABLE' } });
  });
});
