// Child process of db-core.bench.ts: ONLY opens the given database and streams it with a cursor,
// so the RSS it reports is not inflated by the parent's earlier work (building the file, other
// benchmarks). Prints one JSON line: { rows, ms, rssGrowthMb }.
import { readFileSync } from 'node:fs';
import { openDatabase } from '../src/database.ts';

function highWaterMark(): number | undefined {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}

const path = process.argv[2];
if (path === undefined) throw new Error('usage: stream-1m-child.ts <database file>');

const db = await openDatabase({ mode: 'local', path, externalChangePollMs: 0 });
(globalThis as { gc?: () => void }).gc?.();
const rssBefore = process.memoryUsage().rss;
let peak = rssBefore;
let rows = 0;
const start = performance.now();
for await (const _row of db.cursor('SELECT * FROM big ORDER BY id')) {
  if (++rows % 1_000 === 0) peak = Math.max(peak, process.memoryUsage().rss);
}
const ms = performance.now() - start;
// VmHWM (Linux) is this process's true peak; it also covers spikes between samples. Not
// resourceUsage().maxRSS: Linux keeps ru_maxrss across exec, so a child started by a big parent
// would report the parent's RSS as its own peak.
peak = Math.max(peak, highWaterMark() ?? 0);
await db.close();
process.stdout.write(`${JSON.stringify({ rows, ms, rssGrowthMb: (peak - rssBefore) / 2 ** 20 })}\n`);
