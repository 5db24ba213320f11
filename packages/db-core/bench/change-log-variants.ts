// Trigger designs measured by change-log-variants.bench.ts (CPU time) and
// change-log-instructions.ts (instruction counts, which rank them reliably on this machine).
// Extra instructions per row on 20k app-row inserts in one transaction (baseline 34-40k per
// row: the baseline estimate moves between runs, the extras by about 0.6k):
//   plain INSERT text tbl (before OR FAIL) +14.6k (~43%) | integer tbl id +14.4k | per-table log
//   (seq, x = rid*4+op) +14.4k | per-table log (seq, rid, op) +14.0k | log row with no columns
//   +14.1k | rid as the log rowid +14.2k | UPSERT coalescing +24.3k (~71%) | trigger body
//   SELECT 1 (no log at all) +8.2k (~24%) | OR FAIL log inserts (current) +14.1k, the same as
//   plain: the NOT NULL user columns keep the journal. Same inserts as INSERT OR FAIL (no statement
//   journal): text log +2.5k (~8%), per-table x +2.5k, no columns +2.0k, SELECT 1 +0.6k.
// Narrow (id, v) inserts: plain INSERT log +9.3k (+45%), OR FAIL log +2.2k (+11%), per-table x
// +2.3k; single-row deletes: plain +69%, OR FAIL +12%. Every layout costs the same; what costs
// is the statement journal SQLite opens per statement once a trigger exists and anything in the
// statement or its triggers may ABORT. OR FAIL removed the log's own share of that; NOT NULL
// user columns keep it (no trigger can avoid it), so app rows stay around 40% and the 30%
// target is out of reach for per-row triggers. Per-table logs were therefore not adopted (more
// tables, a vector cursor and per-table compaction for no gain). Skipping the log for inserts
// above the table's max rowid (EXISTS probe; not counted: the journal stays either way) would
// also miss re-used rowids and inserts deleted again before the next read: not pursued. Earlier CPU-time rejections: AUTOINCREMENT
// +80-90%, a range log extending the newest row +148%, cache_size / temp_store pragmas (change
// base and log alike).
export const APP =
  'CREATE TABLE t(id INTEGER PRIMARY KEY, title TEXT NOT NULL, done INTEGER NOT NULL, owner TEXT NOT NULL, created_at INTEGER NOT NULL); CREATE INDEX t_owner ON t(owner)';
export const INSERT = 'INSERT INTO t(title, done, owner, created_at) VALUES (?, ?, ?, ?)';
export const insertArgs = (i: number) => [`todo item number ${i}`, i & 1, `user${i % 97}`, 1_700_000_000 + i];
export const NARROW = 'CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER)';
export const NARROW_INSERT = 'INSERT INTO t(v) VALUES (?)';
export const UPDATE = 'UPDATE t SET done = 1 - done WHERE id = ?';
export const DELETE = 'DELETE FROM t WHERE id = ?';

const moved = (tbl: string) =>
  ` INSERT INTO _lf(tbl, op, rid) SELECT ${tbl}, 3, OLD.rowid WHERE OLD.rowid IS NOT NEW.rowid;`;
/** Triggers writing `log` rows built by `row(ridExpression, op)`, the moved-rowid case included. */
const triggers = (log: string, columns: string, row: (rid: string, op: number) => string) => `
    CREATE TRIGGER ti AFTER INSERT ON t BEGIN INSERT INTO ${log}(${columns}) VALUES (${row('NEW.rowid', 1)}); END;
    CREATE TRIGGER tu AFTER UPDATE ON t BEGIN INSERT INTO ${log}(${columns}) VALUES (${row('NEW.rowid', 2)});
      INSERT INTO ${log}(${columns}) SELECT ${row('OLD.rowid', 3)} WHERE OLD.rowid IS NOT NEW.rowid; END;
    CREATE TRIGGER td AFTER DELETE ON t BEGIN INSERT INTO ${log}(${columns}) VALUES (${row('OLD.rowid', 3)}); END;`;

export const VARIANTS: Record<string, string> = {
  none: '',
  'text tbl, plain INSERT (before OR FAIL)': `CREATE TABLE _lf(seq INTEGER PRIMARY KEY, tbl TEXT NOT NULL, op INTEGER NOT NULL, rid INTEGER);
    CREATE TRIGGER ti AFTER INSERT ON t BEGIN INSERT INTO _lf(tbl, op, rid) VALUES ('t', 1, NEW.rowid); END;
    CREATE TRIGGER tu AFTER UPDATE ON t BEGIN INSERT INTO _lf(tbl, op, rid) VALUES ('t', 2, NEW.rowid);${moved("'t'")} END;
    CREATE TRIGGER td AFTER DELETE ON t BEGIN INSERT INTO _lf(tbl, op, rid) VALUES ('t', 3, OLD.rowid); END;`,
  // The installed layout (change-log.ts): OR FAIL on the log inserts, so nothing in a trigger can
  // abort and SQLite no longer opens a statement journal for statements that need none themselves.
  'text tbl, INSERT OR FAIL (current)': `CREATE TABLE _lf(seq INTEGER PRIMARY KEY, tbl TEXT NOT NULL, op INTEGER NOT NULL, rid INTEGER);${triggers(
    '_lf',
    'tbl, op, rid',
    (rid, op) => `'t', ${op}, ${rid}`,
  ).replaceAll('INSERT INTO', 'INSERT OR FAIL INTO')}`,
  'integer tbl id': `CREATE TABLE _lf(seq INTEGER PRIMARY KEY, tbl INTEGER NOT NULL, op INTEGER NOT NULL, rid INTEGER);
    CREATE TRIGGER ti AFTER INSERT ON t BEGIN INSERT INTO _lf(tbl, op, rid) VALUES (1, 1, NEW.rowid); END;
    CREATE TRIGGER tu AFTER UPDATE ON t BEGIN INSERT INTO _lf(tbl, op, rid) VALUES (1, 2, NEW.rowid);${moved('1')} END;
    CREATE TRIGGER td AFTER DELETE ON t BEGIN INSERT INTO _lf(tbl, op, rid) VALUES (1, 3, OLD.rowid); END;`,
  'split UPDATE (WHEN rowid moved)': `CREATE TABLE _lf(seq INTEGER PRIMARY KEY, tbl TEXT NOT NULL, op INTEGER NOT NULL, rid INTEGER);
    CREATE TRIGGER ti AFTER INSERT ON t BEGIN INSERT INTO _lf(tbl, op, rid) VALUES ('t', 1, NEW.rowid); END;
    CREATE TRIGGER tu AFTER UPDATE ON t BEGIN INSERT INTO _lf(tbl, op, rid) VALUES ('t', 2, NEW.rowid); END;
    CREATE TRIGGER tm AFTER UPDATE OF id ON t WHEN OLD.rowid IS NOT NEW.rowid BEGIN INSERT INTO _lf(tbl, op, rid) VALUES ('t', 3, OLD.rowid); END;
    CREATE TRIGGER td AFTER DELETE ON t BEGIN INSERT INTO _lf(tbl, op, rid) VALUES ('t', 3, OLD.rowid); END;`,
  'coalesce per tx (UPSERT on tbl,rid)': `CREATE TABLE _lf(seq INTEGER PRIMARY KEY, tbl TEXT NOT NULL, op INTEGER NOT NULL, rid INTEGER);
    CREATE UNIQUE INDEX _lf_row ON _lf(tbl, rid);
    CREATE TRIGGER ti AFTER INSERT ON t BEGIN INSERT INTO _lf(tbl, op, rid) VALUES ('t', 1, NEW.rowid) ON CONFLICT(tbl, rid) DO UPDATE SET op = 1; END;
    CREATE TRIGGER tu AFTER UPDATE ON t BEGIN INSERT INTO _lf(tbl, op, rid) VALUES ('t', 2, NEW.rowid) ON CONFLICT(tbl, rid) DO UPDATE SET op = 2; END;
    CREATE TRIGGER td AFTER DELETE ON t BEGIN INSERT INTO _lf(tbl, op, rid) VALUES ('t', 3, OLD.rowid) ON CONFLICT(tbl, rid) DO UPDATE SET op = 3; END;`,
  // One log per user table: no table name in the row, op folded into one integer.
  'per-table log (seq, x = rid*4+op)': `CREATE TABLE _lf(seq INTEGER PRIMARY KEY, x INTEGER);${triggers('_lf', 'x', (rid, op) => `${rid} * 4 + ${op}`)}`,
  'per-table log (seq, rid, op)': `CREATE TABLE _lf(seq INTEGER PRIMARY KEY, rid INTEGER, op INTEGER);${triggers('_lf', 'rid, op', (rid, op) => `${rid}, ${op}`)}`,
  // The lightest write a trigger can do: an empty row (only the rowid, picked by SQLite).
  'floor: log row with no columns': `CREATE TABLE _lf(seq INTEGER PRIMARY KEY);${triggers('_lf', 'seq', () => 'NULL')}`,
  // The log keyed by the changed rowid itself (not unique across transactions: measurement only).
  'floor: rid as the log rowid (OR REPLACE)': `CREATE TABLE _lf(rid INTEGER PRIMARY KEY, op INTEGER);${triggers('_lf', 'rid, op', (rid, op) => `${rid}, ${op}`).replaceAll('INSERT INTO', 'INSERT OR REPLACE INTO')}`,
  // A trigger that writes nothing: the price of firing a trigger at all (and of the statement
  // journal every trigger forces on a table with NOT NULL columns).
  'floor: trigger body SELECT 1': `
    CREATE TRIGGER ti AFTER INSERT ON t BEGIN SELECT 1; END;
    CREATE TRIGGER tu AFTER UPDATE ON t BEGIN SELECT 1; END;
    CREATE TRIGGER td AFTER DELETE ON t BEGIN SELECT 1; END;`,
  // Inserts that land above every existing rowid are not logged (a replica would find them by
  // scanning rowid > its last max): a read-only probe instead of a write.
  'inserts above max not logged (EXISTS probe)': `CREATE TABLE _lf(seq INTEGER PRIMARY KEY, x INTEGER);${triggers(
    '_lf',
    'x',
    (rid, op) => `${rid} * 4 + ${op}`,
  ).replace(
    'AFTER INSERT ON t BEGIN',
    'AFTER INSERT ON t WHEN EXISTS (SELECT 1 FROM t WHERE rowid > NEW.rowid) BEGIN',
  )}`,
};
export const PRAGMAS: Record<string, string> = {
  default: '',
  'cache_size=-65536': 'PRAGMA cache_size=-65536;',
  'temp_store=MEMORY + cache_spill=0': 'PRAGMA temp_store=MEMORY; PRAGMA cache_spill=0;',
};
