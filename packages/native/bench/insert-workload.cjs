// One insert workload in a bare process, for instruction counting under valgrind (native-bench.ts
// runs it with BENCH_ICOUNT=1). Plain CommonJS on purpose: a TS loader would dwarf the workload.
// Usage: node insert-workload.cjs <none|batched|per-event> <rows> <addon path> <libsql path>
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const [mode = 'none', rowsArg = '0', addonPath = '', libsqlPath = 'libsql'] = process.argv.slice(2);
const rows = Number(rowsArg);
const Database = require(libsqlPath);
const native = require(addonPath);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'liveframe-icount-'));
try {
  const db = new Database(path.join(dir, 'a.db'));
  db.exec('PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL');
  db.exec('CREATE TABLE items(id INTEGER PRIMARY KEY, v TEXT, n INTEGER)');
  let seen = 0;
  let id = 0;
  if (mode !== 'none') {
    db.loadExtension(addonPath);
    db.exec("SELECT liveframe_handshake('icount')");
    id = native.claim('icount');
    if (mode === 'per-event') native.setPerEventListener(id, () => seen++);
  }
  const insert = db.prepare('INSERT INTO items(v, n) VALUES (?, ?)');
  db.exec('BEGIN');
  for (let i = 0; i < rows; i++) insert.run(`value-${i}`, i);
  db.exec('COMMIT');
  if (mode === 'batched') {
    for (const batch of native.drain(id)?.batches ?? []) seen += batch.ops.length;
  }
  if (mode !== 'none' && seen !== rows) throw new Error(`${mode}: saw ${seen} of ${rows} events`);
  db.close();
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
