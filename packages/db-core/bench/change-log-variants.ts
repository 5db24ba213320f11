// Trigger designs measured by change-log-variants.bench.ts (shared with its child process).
export const APP =
  'CREATE TABLE t(id INTEGER PRIMARY KEY, title TEXT NOT NULL, done INTEGER NOT NULL, owner TEXT NOT NULL, created_at INTEGER NOT NULL); CREATE INDEX t_owner ON t(owner)';
export const INSERT = 'INSERT INTO t(title, done, owner, created_at) VALUES (?, ?, ?, ?)';
export const insertArgs = (i: number) => [`todo item number ${i}`, i & 1, `user${i % 97}`, 1_700_000_000 + i];

const moved = (tbl: string) =>
  ` INSERT INTO _lf(tbl, op, rid) SELECT ${tbl}, 3, OLD.rowid WHERE OLD.rowid IS NOT NEW.rowid;`;
export const VARIANTS: Record<string, string> = {
  none: '',
  'text tbl (current)': `CREATE TABLE _lf(seq INTEGER PRIMARY KEY, tbl TEXT NOT NULL, op INTEGER NOT NULL, rid INTEGER);
    CREATE TRIGGER ti AFTER INSERT ON t BEGIN INSERT INTO _lf(tbl, op, rid) VALUES ('t', 1, NEW.rowid); END;
    CREATE TRIGGER tu AFTER UPDATE ON t BEGIN INSERT INTO _lf(tbl, op, rid) VALUES ('t', 2, NEW.rowid);${moved("'t'")} END;
    CREATE TRIGGER td AFTER DELETE ON t BEGIN INSERT INTO _lf(tbl, op, rid) VALUES ('t', 3, OLD.rowid); END;`,
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
};
export const PRAGMAS: Record<string, string> = {
  default: '',
  'cache_size=-65536': 'PRAGMA cache_size=-65536;',
  'temp_store=MEMORY + cache_spill=0': 'PRAGMA temp_store=MEMORY; PRAGMA cache_spill=0;',
};
