import type { Client, IntMode, ResultSet } from '@libsql/core/api';
import { describe, expect, it } from 'vitest';
import { contractTargets, outcome, snapshot } from './libsql-client/targets.ts';

/** `lastInsertRowid` is unspecified after statements other than INSERT (API docs): not compared there. */
const noRowid = (r: ResultSet) => ({
  ...(snapshot(r) as object),
  lastInsertRowid: 'unspecified',
  json: 'unspecified',
});

/** Applies `fn` to every string inside `value` (a snapshot). */
function mapStrings(value: unknown, fn: (s: string) => string): unknown {
  if (typeof value === 'string') return fn(value);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, fn));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapStrings(v, fn)]));
  }
  return value;
}

/**
 * The primary reports constraint failures with the base code only; the kind is read from the
 * message, and a duplicate rowid's says UNIQUE (README: replica mode only).
 */
function rowidAsUnique(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rowidAsUnique);
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).map(([k, v]) => [k, rowidAsUnique(v)]);
    const out = Object.fromEntries(entries) as Record<string, unknown>;
    if (out.extendedCode === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
      out.extendedCode = 'SQLITE_CONSTRAINT_UNIQUE';
      out.rawCode = 2067;
    }
    return out;
  }
  return value;
}

/** Drops error messages: statements the replica cannot prepare go to the primary, whose parser words them differently. */
function withoutMessages(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutMessages);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => k !== 'message')
        .map(([k, v]) => [k, withoutMessages(v)]),
    );
  }
  return value;
}

/**
 * The same cases against `@libsql/client` on a local file (the reference), liveframe's client in
 * local mode, and in replica mode against a real sqld: every observable result (values with
 * their types, row shapes, toJSON, counts) and every error (class, code, extendedCode, rawCode,
 * message, batch index) must be equal. Known, documented differences are spelled out per case.
 */
interface Case {
  readonly name: string;
  /** Tables the case uses, dropped and created before it (replicas share one primary). */
  readonly setup?: string;
  readonly intMode?: IntMode;
  run(client: Client): Promise<unknown>;
  /** What replica mode gives instead, when it documentedly differs. */
  readonly replica?: (upstream: unknown) => unknown;
  /** Applied to the replica's result before comparing (parts it words differently). */
  readonly replicaView?: (result: unknown) => unknown;
}

const T =
  'DROP TABLE IF EXISTS t; CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, n INTEGER, f REAL, b BLOB, CHECK (n IS NULL OR n >= 0));';

const rs = (client: Client, sql: string, args?: Parameters<Client['execute']>[1]) =>
  outcome(() => client.execute(sql, args), snapshot);

const cases: Case[] = [
  {
    name: 'execute: string, {sql,args} and (sql,args) forms with positional args',
    setup: T,
    async run(c) {
      return [
        await outcome(() => c.execute("INSERT INTO t(name, n) VALUES ('a', 1)"), snapshot),
        await outcome(
          () => c.execute({ sql: 'INSERT INTO t(name, n) VALUES (?, ?)', args: ['b', 2] }),
          snapshot,
        ),
        await outcome(() => c.execute('INSERT INTO t(name, n) VALUES (?, ?)', ['c', 3]), snapshot),
        await rs(c, 'SELECT * FROM t ORDER BY id'),
        await rs(c, 'SELECT name FROM t WHERE n > ? ORDER BY id', [1]),
      ];
    },
  },
  {
    name: 'named args with :x, @x and $x, keys with or without prefix',
    setup: T,
    async run(c) {
      await c.execute({ sql: 'INSERT INTO t(name, n) VALUES (:name, @n)', args: { name: 'a', n: 5 } });
      await c.execute({ sql: 'INSERT INTO t(name, n) VALUES ($name, :n)', args: { $name: 'b', ':n': 6 } });
      return [
        await rs(c, 'SELECT :a AS a, @b AS b, $c AS c', { a: 1, b: 'x', c: null }),
        await rs(c, 'SELECT name, n FROM t WHERE n >= $min ORDER BY id', { min: 5 }),
        await rs(c, 'SELECT :a AS a, :b AS b', { a: 1 }),
      ];
    },
  },
  {
    name: 'value conversion both ways: null, text, real, integer, bigint, boolean, Date, Uint8Array, ArrayBuffer',
    setup:
      'DROP TABLE IF EXISTS v; CREATE TABLE v(id INTEGER PRIMARY KEY, i INTEGER, r REAL, s TEXT, b BLOB, x);',
    async run(c) {
      const args = [
        [1, 1.5, 'héllo', new Uint8Array([1, 2, 3]), null],
        [2n ** 40n, -0.25, '', new Uint8Array([0, 255]).buffer, 'text'],
        [true, 3, 'x', new Uint8Array(0), 7.5],
        [new Date(1_700_000_000_000), false, 'd', Buffer.from('buf'), 9007199254740991n],
      ];
      for (const a of args) await c.execute('INSERT INTO v(i, r, s, b, x) VALUES (?, ?, ?, ?, ?)', a);
      return [
        await rs(c, 'SELECT * FROM v ORDER BY id'),
        await rs(c, 'SELECT typeof(i), typeof(r), typeof(s), typeof(b), typeof(x) FROM v ORDER BY id'),
        await rs(c, "SELECT x'00ff10' AS blob, 1e308 * 10 AS inf, -0.0 AS z, 'a' || ? AS cat", ['b']),
      ];
    },
  },
  ...(['number', 'bigint', 'string'] as const).map(
    (intMode): Case => ({
      name: `intMode ${intMode}: integers, reals and rowids`,
      intMode,
      setup: T,
      async run(c) {
        const insert = await outcome(
          () => c.execute('INSERT INTO t(name, n, f) VALUES (?, ?, ?)', ['a', 42n, 2.5]),
          snapshot,
        );
        return [
          insert,
          await rs(c, 'SELECT id, n, f, n * 2 AS twice, count(*) AS c FROM t'),
          await rs(c, 'SELECT 9007199254740993 AS big, -9223372036854775808 AS min'),
        ];
      },
    }),
  ),
  {
    name: 'RETURNING rows (and upstream row counts for statements that return rows)',
    setup: T,
    async run(c) {
      return [
        await rs(c, 'INSERT INTO t(name, n) VALUES (?, ?), (?, ?) RETURNING id, name, n', ['a', 1, 'b', 2]),
        await rs(c, 'UPDATE t SET n = n + 10 WHERE n > ? RETURNING name, n', [0]),
        await rs(c, 'DELETE FROM t WHERE name = ? RETURNING *', ['a']),
        await rs(c, 'SELECT count(*) AS c FROM t'),
      ];
    },
  },
  {
    name: 'duplicate column names, index access and empty results with declared types',
    setup: `${T} DROP TABLE IF EXISTS u; CREATE TABLE u(id INTEGER PRIMARY KEY, name VARCHAR(20), t_id INT);`,
    async run(c) {
      await c.execute("INSERT INTO t(id, name, n) VALUES (1, 'a', 1)");
      await c.execute("INSERT INTO u(id, name, t_id) VALUES (7, 'u', 1)");
      return [
        await rs(c, 'SELECT 1 AS x, 2 AS x, 3 AS y'),
        // Names that are also Object's (or the row's own `length` and indexes).
        await rs(c, 'SELECT 1 AS "__proto__", 2 AS "length", 3 AS "0", 4 AS toString, 5 AS "constructor"'),
        await rs(c, 'SELECT t.id, u.id, t.name, u.name FROM t JOIN u ON u.t_id = t.id'),
        await rs(c, 'SELECT * FROM t JOIN u ON u.t_id = t.id WHERE 0'),
        await rs(c, 'SELECT id, name AS label, n + 1 AS expr FROM t WHERE id = ?', [999]),
      ];
    },
    // sqld rewrites the CREATE TABLE text it stores: the replica's schema says `VARCHAR (20)`.
    replica: (upstream) => mapStrings(upstream, (s) => s.replaceAll('VARCHAR(20)', 'VARCHAR (20)')),
  },
  {
    name: 'rowsAffected and lastInsertRowid of writes',
    setup: T,
    async run(c) {
      return [
        await rs(c, "INSERT INTO t(name) VALUES ('a'), ('b'), ('c')"),
        await outcome(() => c.execute('UPDATE t SET n = 1 WHERE id > 1'), noRowid),
        await outcome(() => c.execute('UPDATE t SET n = 1 WHERE 0'), noRowid),
        await outcome(() => c.execute('DELETE FROM t'), noRowid),
        await rs(c, "INSERT INTO t(id, name) VALUES (9007199254740993, 'big')"),
      ];
    },
    // libsql-js hands the local rowid over as a double (2^53 + 1 becomes 2^53); the primary's is exact.
    replica: (upstream) => mapStrings(upstream, (s) => s.replaceAll('9007199254740992', '9007199254740993')),
  },
  {
    name: 'constraint, syntax and schema errors carry upstream codes',
    setup: T,
    async run(c) {
      await c.execute("INSERT INTO t(id, name, n) VALUES (1, 'a', 1)");
      return [
        await rs(c, "INSERT INTO t(name) VALUES ('a')"),
        await rs(c, 'INSERT INTO t(name) VALUES (NULL)'),
        await rs(c, "INSERT INTO t(name, n) VALUES ('neg', -1)"),
        await rs(c, 'SELEC 1'),
        await rs(c, 'SELECT * FROM nope'),
        await rs(c, 'INSERT INTO nope VALUES (1)'),
        await rs(c, 'SELECT nope FROM t'),
        await rs(c, ''),
      ];
    },
    replica: withoutMessages,
    replicaView: withoutMessages,
  },
  {
    name: 'argument errors: undefined, non-finite, out-of-range bigint; missing args bind NULL',
    async run(c) {
      return [
        await rs(c, 'SELECT ?', [undefined as unknown as null]),
        await rs(c, 'SELECT ?', [Number.POSITIVE_INFINITY]),
        await rs(c, 'SELECT ?', [2n ** 64n]),
        await rs(c, 'SELECT ? AS a, ? AS b', [1]),
      ];
    },
  },
  {
    name: 'batch: write, read and deferred modes with per-statement results',
    setup: T,
    async run(c) {
      const write = await outcome(
        () =>
          c.batch(
            [
              "INSERT INTO t(name, n) VALUES ('a', 1)",
              { sql: 'INSERT INTO t(name, n) VALUES (?, ?)', args: ['b', 2] },
              ['INSERT INTO t(name, n) VALUES (:name, :n) RETURNING id', { name: 'c', n: 3 }],
              'SELECT count(*) AS c FROM t',
            ],
            'write',
          ),
        (r) => r.map(snapshot),
      );
      const read = await outcome(
        () =>
          c.batch(
            ['SELECT name FROM t ORDER BY id', { sql: 'SELECT n FROM t WHERE n > ?', args: [1] }],
            'read',
          ),
        (r) => r.map(snapshot),
      );
      const deferred = await outcome(
        () => c.batch(['UPDATE t SET n = n * 10', 'SELECT sum(n) AS s FROM t']),
        (r) => [noRowid(r[0]!), snapshot(r[1]!)],
      );
      return [write, read, deferred];
    },
  },
  {
    name: 'batch: a failing statement rolls everything back (LibsqlBatchError with its index)',
    setup: T,
    async run(c) {
      await c.execute("INSERT INTO t(name) VALUES ('a')");
      const failed = await outcome(
        () =>
          c.batch(
            [
              "INSERT INTO t(name) VALUES ('x')",
              "INSERT INTO t(name) VALUES ('y')",
              "INSERT INTO t(name) VALUES ('a')",
              "INSERT INTO t(name) VALUES ('z')",
            ],
            'write',
          ),
        (r) => r.map(snapshot),
      );
      const syntax = await outcome(
        () => c.batch(["INSERT INTO t(name) VALUES ('q')", 'SELEC 1']),
        (r) => r.map(snapshot),
      );
      return [failed, syntax, await rs(c, 'SELECT name FROM t ORDER BY id')];
    },
    // sqld refuses a batch with a statement it cannot parse as a whole, before running any step:
    // which statement it was is not reported, so the index is 0.
    replica: (upstream) => {
      const [failed, syntax, after] = withoutMessages(upstream) as [unknown, { error: object }, unknown];
      return [failed, { error: { ...syntax.error, statementIndex: 0 } }, after];
    },
    replicaView: withoutMessages,
  },
  {
    name: 'interactive transaction: reads its own writes, others see them only after commit',
    setup: T,
    async run(c) {
      const tx = await c.transaction('write');
      const steps: unknown[] = [tx.closed];
      try {
        steps.push(await outcome(() => tx.execute("INSERT INTO t(name, n) VALUES ('a', 1)"), snapshot));
        steps.push(
          await outcome(() => tx.execute({ sql: 'SELECT name, n FROM t WHERE n = ?', args: [1] }), snapshot),
        );
        steps.push(await rs(c, 'SELECT count(*) AS c FROM t'));
        steps.push(
          await outcome(
            () => tx.batch(["INSERT INTO t(name) VALUES ('b')", 'SELECT count(*) AS c FROM t']),
            (r) => r.map(snapshot),
          ),
        );
        steps.push(await outcome(() => tx.execute("INSERT INTO t(name) VALUES ('a')"), snapshot));
        steps.push(tx.closed);
        await tx.commit();
      } finally {
        tx.close();
      }
      steps.push(tx.closed);
      steps.push(await rs(c, 'SELECT name FROM t ORDER BY id'));
      return steps;
    },
  },
  {
    name: 'interactive transaction: rollback, close and the closed errors',
    setup: T,
    async run(c) {
      const tx = await c.transaction('deferred');
      await tx.execute("INSERT INTO t(name) VALUES ('gone')");
      await tx.rollback();
      const afterRollback = [
        tx.closed,
        await outcome(() => tx.execute('SELECT 1'), snapshot),
        await outcome(
          () => tx.commit(),
          () => 'committed',
        ),
        await outcome(
          () => tx.rollback(),
          () => 'rolled back again',
        ),
        await outcome(
          () => tx.batch(['SELECT 1']),
          () => 'batch',
        ),
        await outcome(
          () => tx.executeMultiple('SELECT 1'),
          () => 'script',
        ),
      ];
      const tx2 = await c.transaction('write');
      await tx2.execute("INSERT INTO t(name) VALUES ('closed')");
      tx2.close();
      const afterClose = [tx2.closed, await outcome(() => tx2.execute('SELECT 1'), snapshot)];
      const tx3 = await c.transaction('write');
      await tx3.execute("INSERT INTO t(name) VALUES ('kept')");
      await tx3.commit();
      const afterCommit = [
        await outcome(() => tx3.execute('SELECT 1'), snapshot),
        await outcome(
          () => tx3.rollback(),
          () => 'rollback after commit',
        ),
      ];
      // close() rolls back without waiting; the next write waits for nothing of it on upstream's pool.
      const tx4 = await c.transaction('read');
      const read = await outcome(() => tx4.execute('SELECT name FROM t'), snapshot);
      await tx4.commit();
      return [afterRollback, afterClose, afterCommit, read, await rs(c, 'SELECT name FROM t ORDER BY id')];
    },
  },
  {
    name: 'transaction executeMultiple and a failed statement that keeps the transaction open',
    setup: T,
    async run(c) {
      const tx = await c.transaction('write');
      try {
        await tx.executeMultiple("INSERT INTO t(name) VALUES ('m1'); INSERT INTO t(name) VALUES ('m2');");
        const failed = await outcome(() => tx.execute("INSERT INTO t(name) VALUES ('m1')"), snapshot);
        const batchFailed = await outcome(
          () => tx.batch(["INSERT INTO t(name) VALUES ('m3')", "INSERT INTO t(name) VALUES ('m2')"]),
          (r) => r.map(snapshot),
        );
        await tx.commit();
        return [failed, batchFailed, tx.closed, await rs(c, 'SELECT name FROM t ORDER BY id')];
      } finally {
        tx.close();
      }
    },
  },
  {
    name: 'executeMultiple: scripts run in order; a failure keeps what ran before it',
    async run(c) {
      const ok = await outcome(
        () =>
          c.executeMultiple(`
            DROP TABLE IF EXISTS m;
            CREATE TABLE m(x INTEGER);
            INSERT INTO m VALUES (1);
            INSERT INTO m VALUES (2);`),
        () => 'ok',
      );
      const failed = await outcome(
        () => c.executeMultiple('INSERT INTO m VALUES (3); SELEC; INSERT INTO m VALUES (4);'),
        () => 'ok',
      );
      return [ok, failed, await rs(c, 'SELECT x FROM m ORDER BY x')];
    },
    // Replica mode runs scripts through libsql-js's replica connection, which skips a statement
    // that does not parse instead of stopping there, as @libsql/client's own embedded replica
    // does (README). Only the first script is compared.
    replica: (upstream) => (upstream as unknown[])[0],
    replicaView: (result) => (result as unknown[])[0],
  },
  {
    name: 'migrate: atomic, foreign keys off inside, LibsqlBatchError with its index',
    setup:
      'DROP TABLE IF EXISTS child; DROP TABLE IF EXISTS parent; CREATE TABLE parent(id INTEGER PRIMARY KEY); CREATE TABLE child(id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id));',
    async run(c) {
      const enforced = await rs(c, 'INSERT INTO child(parent_id) VALUES (42)');
      const ok = await outcome(
        () =>
          c.migrate([
            'INSERT INTO child(parent_id) VALUES (7)',
            { sql: 'INSERT INTO parent(id) VALUES (?)', args: [7] },
            'SELECT count(*) AS n FROM child',
          ]),
        (r) => r.map(snapshot),
      );
      const failed = await outcome(
        () => c.migrate(['INSERT INTO parent(id) VALUES (8)', 'INSERT INTO parent(id) VALUES (7)']),
        (r) => r.map(snapshot),
      );
      return [
        enforced,
        ok,
        failed,
        await rs(c, 'SELECT id FROM parent ORDER BY id'),
        await rs(c, 'INSERT INTO child(parent_id) VALUES (43)'),
      ];
    },
    replica: rowidAsUnique,
  },
  {
    name: 'a closed client refuses everything with CLIENT_CLOSED',
    async run(c) {
      c.close();
      return [
        c.closed,
        c.protocol,
        await rs(c, 'SELECT 1'),
        await outcome(
          () => c.batch(['SELECT 1']),
          () => 'batch',
        ),
        await outcome(
          () => c.transaction('write'),
          () => 'tx',
        ),
        await outcome(
          () => c.executeMultiple('SELECT 1'),
          () => 'script',
        ),
      ];
    },
  },
];

const targets = contractTargets();

describe('@libsql/client contract: upstream vs liveframe (local, replica)', () => {
  for (const testCase of cases) {
    it(testCase.name, async () => {
      const results: Record<string, unknown> = {};
      for (const target of targets) {
        await using handle = await target.open(
          testCase.intMode === undefined ? {} : { intMode: testCase.intMode },
        );
        if (testCase.setup !== undefined) await handle.client.executeMultiple(testCase.setup);
        results[target.name] = await testCase.run(handle.client);
      }
      expect(results.local).toEqual(results.upstream);
      const replicaExpected = testCase.replica?.(results.upstream) ?? results.upstream;
      expect(testCase.replicaView?.(results.replica) ?? results.replica).toEqual(replicaExpected);
    });
  }
});
