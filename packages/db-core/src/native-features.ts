import type {
  AggregateOptions,
  Authorizer,
  FunctionOptions,
  SqlArgument,
  SqliteLimit,
  SqlResult,
} from '@liveframe/native';
import { sqliteLimitIds } from '@liveframe/native';
import type { Connection } from './connection.ts';
import { DbError, toDbError } from './errors.ts';
import type { ConnectionSetup, LocalConnections } from './read-connection-pool.ts';

type Definition = (conn: Connection) => void;

/**
 * Per-connection native features (JS SQL functions and aggregates, limits, the authorizer) kept
 * as state and applied to every local connection a driver owns: the ones open now and every one
 * opened later (pool growth, the replica's reopened read connection). A SQL function that works
 * on one reader but not on the next would be a heisenbug, so there is no per-connection variant.
 *
 * @example
 * const features = new NativeFeatures(driver.connections);
 * features.createFunction('slug', (s) => String(s).toLowerCase(), { deterministic: true });
 */
export class NativeFeatures {
  readonly #connections: LocalConnections;
  readonly #definitions = new Map<string, Definition>();
  readonly #limits = new Map<SqliteLimit, number>();
  #authorizer: Authorizer | null = null;
  #installed = false;

  constructor(connections: LocalConnections) {
    this.#connections = connections;
  }

  createFunction(
    name: string,
    fn: (...args: SqlArgument[]) => SqlResult,
    options: FunctionOptions = {},
  ): void {
    checkName(name);
    this.#define(`${name.toLowerCase()}/${options.varargs ? -1 : (options.arity ?? fn.length)}`, (conn) =>
      conn.requireExtension('createFunction').defineFunction(name, fn, options),
    );
  }

  createAggregate<T>(name: string, options: AggregateOptions<T>): void {
    checkName(name);
    const arity = options.varargs ? -1 : (options.arity ?? Math.max(0, options.step.length - 1));
    this.#define(`${name.toLowerCase()}/${arity}`, (conn) =>
      conn.requireExtension('createAggregate').defineAggregate(name, options),
    );
  }

  /** Reads a limit (from the read connection); with `value`, sets it everywhere and returns the previous one. */
  limit(name: SqliteLimit, value?: number): number {
    if (!Object.hasOwn(sqliteLimitIds, name)) {
      throw new DbError('BAD_PARAMS', `unknown SQLite limit "${String(name)}"`);
    }
    const reader = this.#connections.reader;
    const current = wrap(() => reader.requireExtension('limit').getLimit(name));
    if (value === undefined) return current;
    if (!Number.isInteger(value) || value < 0) {
      throw new DbError('BAD_PARAMS', `limit ${name} must be a non-negative integer, got ${value}`);
    }
    this.#limits.set(name, value);
    this.#apply((conn) => conn.requireExtension('limit').setLimit(name, value));
    return current;
  }

  setAuthorizer(authorizer: Authorizer | null): void {
    this.#authorizer = authorizer;
    this.#apply((conn) => conn.setAuthorizer(authorizer));
  }

  #define(key: string, definition: Definition): void {
    this.#definitions.set(key, definition);
    this.#apply(definition);
  }

  /** Runs `fn` on every open connection now; the installed setup replays the state on later ones. */
  #apply(fn: Definition): void {
    this.#install();
    const undo = this.#connections.addSetup((conn) => wrap(() => fn(conn)));
    undo();
  }

  #install(): void {
    if (this.#installed) return;
    this.#installed = true;
    const replay: ConnectionSetup = (conn) =>
      wrap(() => {
        for (const definition of this.#definitions.values()) definition(conn);
        for (const [name, value] of this.#limits) conn.requireExtension('limit').setLimit(name, value);
        if (this.#authorizer !== null) conn.setAuthorizer(this.#authorizer);
      });
    // Registered without running it: the connections open now get each change through #apply.
    let first = true;
    this.#connections.addSetup((conn, role) => {
      if (!first) replay(conn, role);
    });
    first = false;
  }
}

function checkName(name: string): void {
  if (typeof name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new DbError('BAD_PARAMS', `SQL function names are identifiers, got ${JSON.stringify(name)}`);
  }
}

function wrap<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw toDbError(error);
  }
}
