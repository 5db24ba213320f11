import { NativeError } from './native-error.ts';

/*
 * Measured (child processes, libsql 0.5.29): calling ANY libsql-js method — prepare, get, all,
 * exec, interrupt, even the inTransaction getter or `new Database()`, on the same connection or
 * another one — from a JS callback that SQLite invoked during a libsql-js call aborts the whole
 * process: libsql-js blocks on its tokio runtime and tokio panics ("Cannot start a runtime from
 * within a runtime"), which neon cannot turn into an exception. SQLite-level guards (the
 * extension's authorizer and progress handler refuse nested statements) come too late, so the
 * JS side refuses first: while one of our callbacks runs, every libsql-js entry point throws.
 */

let depth = 0;

/** True while a SQL function, hook, authorizer or progress callback of ours is running. */
export function inNativeCallback(): boolean {
  return depth > 0;
}

/** Runs a user callback with the guard raised. */
export function runGuarded<T>(fn: () => T): T {
  depth++;
  try {
    return fn();
  } finally {
    depth--;
  }
}

export function assertNotInCallback(what: string): void {
  if (depth > 0) {
    throw new NativeError(
      'REENTRANT_CALL',
      `${what} was called from inside a SQL function, hook or authorizer callback; libsql-js cannot be ` +
        're-entered from there (it would abort the process). Collect what you need and act after the statement returns.',
    );
  }
}

const guarded = Symbol.for('liveframe.reentrancyGuard');

type AnyFn = (this: unknown, ...args: unknown[]) => unknown;
type Patchable = Record<PropertyKey, unknown>;

function wrapMethods(proto: Patchable, owner: string, names: readonly string[]): void {
  for (const name of names) {
    const original = proto[name];
    if (typeof original !== 'function') continue;
    const fn = original as AnyFn;
    proto[name] = function (this: unknown, ...args: unknown[]): unknown {
      assertNotInCallback(`${owner}.${name}()`);
      return fn.apply(this, args);
    };
  }
}

const statementMethods = [
  'run',
  'get',
  'all',
  'iterate',
  'raw',
  'columns',
  'safeIntegers',
  'interrupt',
] as const;

function guardIterator(iterator: Iterator<unknown>): Iterator<unknown> {
  const next = iterator.next.bind(iterator);
  iterator.next = (...args: [] | [undefined]) => {
    assertNotInCallback('Statement.iterate().next()');
    return next(...args);
  };
  return iterator;
}

/**
 * Patches libsql-js's Database and Statement prototypes once, in place, so the guard also
 * protects code that imported `libsql` directly. `inTransaction` is an own getter defined by the
 * constructor; the constructor returned by `loadLibsql` guards it per instance.
 */
export function installLibsqlGuard(Database: { prototype: object }): void {
  const proto = Database.prototype as Patchable;
  if (proto[guarded] === true) return;
  proto[guarded] = true;
  wrapMethods(proto, 'Database', [
    'prepare',
    'exec',
    'pragma',
    'sync',
    'syncUntil',
    'loadExtension',
    'maxWriteReplicationIndex',
    'interrupt',
    'close',
    'defaultSafeIntegers',
    'authorizer',
  ]);
  // Statement is not exported: patch its prototype the first time prepare() hands one out.
  const prepare = proto.prepare as AnyFn;
  proto.prepare = function (this: unknown, ...args: unknown[]): unknown {
    const statement = prepare.apply(this, args) as object;
    const stmtProto = Object.getPrototypeOf(statement) as Patchable;
    if (stmtProto[guarded] !== true) {
      stmtProto[guarded] = true;
      wrapMethods(stmtProto, 'Statement', statementMethods);
      const iterate = stmtProto.iterate as AnyFn;
      stmtProto.iterate = function (this: unknown, ...iterArgs: unknown[]): unknown {
        return guardIterator(iterate.apply(this, iterArgs) as Iterator<unknown>);
      };
    }
    return statement;
  };
}
