import { tempDir } from '../shared/temp-dir.ts';
import { generateEvents, openEventDatabase, totalsByKind, walIsFree } from './stream-events.ts';

// Streams a million rows with constant memory, reports progress, then shows cancellation.
// `npm run example:large -w @liveframe/examples -- 200000` uses fewer rows.
const count = Number(process.argv[2] ?? 1_000_000);
const mb = () => `${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(1)} MiB heap`;

using dir = tempDir('large');
await using db = await openEventDatabase(dir.file('events.db'));
console.log(`generating ${count.toLocaleString('en')} rows...`);
await generateEvents(db, count);

const started = performance.now();
const totals = await totalsByKind(db, {
  progressEvery: Math.max(1, Math.floor(count / 10)),
  onProgress: ({ rows, total }) =>
    console.log(`  ${((100 * rows) / total).toFixed(0).padStart(3)}%  ${mb()}`),
});
const seconds = (performance.now() - started) / 1000;
console.log(
  `scanned ${totals.rows.toLocaleString('en')} rows in ${seconds.toFixed(1)} s:`,
  totals.amountByKind,
);

// Cancellation: stop after a quarter of the rows. The cursor ends with INTERRUPTED and releases
// its statement, so nothing pins the WAL any more.
const controller = new AbortController();
const partial = await totalsByKind(db, {
  signal: controller.signal,
  progressEvery: Math.max(1, Math.floor(count / 4)),
  onProgress: ({ rows }) => {
    if (rows < count) controller.abort(new Error('enough'));
  },
});
console.log(`cancelled: ${partial.cancelled} after ${partial.rows.toLocaleString('en')} rows`);
console.log(`statement released (WAL checkpoint not blocked): ${walIsFree(db)}`);
