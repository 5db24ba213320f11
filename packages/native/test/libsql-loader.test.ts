import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LIBSQL_PATH_ENV, libsqlPlatformPackage, loadLibsql, NativeError } from '../src/index.ts';
import { catchError, TempDir } from './helpers.ts';

/** A libsql-like package whose platform binary package is not installed. */
function fakeLibsqlWithoutBinary(dir: TempDir): string {
  const pkg = dir.file('libsql');
  mkdirSync(pkg);
  writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'libsql', main: 'index.js' }));
  writeFileSync(
    path.join(pkg, 'index.js'),
    `module.exports = require(${JSON.stringify(libsqlPlatformPackage())});\n`,
  );
  return pkg;
}

describe('libsql loader', () => {
  it('loads the pinned libsql and opens a local database; object rows carry _metadata', () => {
    using dir = new TempDir();
    const Database = loadLibsql();
    expect(loadLibsql()).toBe(Database);
    const db = new Database(dir.file('a.db'));
    try {
      const row = db.prepare('SELECT 1 AS one').get() as Record<string, unknown>;
      expect(row.one).toBe(1);
      // libsql-js 0.5.29 adds this key to object rows (documented on LibsqlRow).
      expect(row).toHaveProperty('_metadata');
      expect(db.prepare('SELECT 1 AS one').raw().get()).toEqual([1]);
      expect(db.inTransaction).toBe(false);
    } finally {
      db.close();
    }
  });

  it('names the missing platform package in a typed LIBSQL_BINARY_MISSING error', () => {
    using dir = new TempDir();
    const error = catchError(() => loadLibsql({ path: fakeLibsqlWithoutBinary(dir) }));
    expect(error).toBeInstanceOf(NativeError);
    expect((error as NativeError).code).toBe('LIBSQL_BINARY_MISSING');
    expect((error as NativeError).message).toContain(libsqlPlatformPackage());
  });

  it('honours the LIVEFRAME_LIBSQL_PATH override', () => {
    using dir = new TempDir();
    const fake = fakeLibsqlWithoutBinary(dir);
    const previous = process.env[LIBSQL_PATH_ENV];
    process.env[LIBSQL_PATH_ENV] = fake;
    try {
      expect(catchError(() => loadLibsql())).toMatchObject({ code: 'LIBSQL_BINARY_MISSING' });
    } finally {
      if (previous === undefined) delete process.env[LIBSQL_PATH_ENV];
      else process.env[LIBSQL_PATH_ENV] = previous;
    }
    expect(catchError(() => loadLibsql({ path: dir.file('nowhere') }))).toMatchObject({
      code: 'LIBSQL_LOAD_FAILED',
    });
  });

  it('computes the platform package the way libsql-js does', () => {
    expect(libsqlPlatformPackage('darwin', 'arm64')).toBe('@libsql/darwin-arm64');
    expect(libsqlPlatformPackage('win32', 'x64')).toBe('@libsql/win32-x64-msvc');
    expect(libsqlPlatformPackage('linux', 'x64')).toMatch(/^@libsql\/linux-x64-(gnu|musl)$/);
  });
});
