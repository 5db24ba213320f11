/**
 * Browser benchmarks (never part of the test suite): how fast a write reaches another user's
 * DOM, and how many refetches a dashboard makes per write under load.
 *
 *   npm run bench -w @liveframe/e2e              # replica mode: sqld + two servers
 *   npm run bench -w @liveframe/e2e -- --local   # one local server (A and B are the same)
 *   ... -- --sync-interval-ms 100                # replica polling interval (default 25)
 *   ... -- --no-sync-hints                       # B polls only; A does not hint it (--peers)
 *
 * Figures go to bench/results/web.json (flat), with a same-run baseline for the ratio.
 */
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { launchBrowser } from '../src/browser-fixture.ts';
import { startCluster } from '../src/cluster-fixture.ts';
import { DashboardPage } from '../src/dashboard-page.ts';
import { buildWeb } from '../src/web-build.ts';
import { writeOrder } from '../src/write-order.ts';
import { chromiumCpuMs } from './process-cpu.ts';
import { newestRowId, wallClockMs, watchNextRow } from './row-watcher.ts';
import {
  clearStageTrace,
  installStageTracer,
  STAGES,
  type StageKey,
  sampleStages,
  stageDurations,
} from './stage-tracer.ts';

const { values } = parseArgs({
  options: {
    local: { type: 'boolean', default: false },
    samples: { type: 'string', default: '40' },
    'load-rate': { type: 'string', default: '20' },
    'load-seconds': { type: 'string', default: '10' },
    // The replica polling interval of the servers; 25 ms is what `npm run start:cluster` uses.
    'sync-interval-ms': { type: 'string', default: '25' },
    // Without sync hints (--peers), server B learns of A's writes only by polling.
    'no-sync-hints': { type: 'boolean', default: false },
  },
});
const SYNC_INTERVAL_MS = values['sync-interval-ms'];
const SAMPLES = Number(values.samples);
const LOAD_RATE = Number(values['load-rate']);
const LOAD_SECONDS = Number(values['load-seconds']);
const RESULTS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'results', 'web.json');

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}

const round = (value: number) => Math.round(value * 10) / 10;

interface UpdateTimings {
  /** Write sent → row in the DOM. */
  readonly total: number[];
  /** Write sent → the invalidation event reached the page (server side: write, sync, match, push). */
  readonly event: number[];
  /** Event received → all its refetches settled (the client's round trip for fresh data). */
  readonly refetch: number[];
  /** The write's own HTTP round trip (orders.create through server A), for comparison. */
  readonly write: number[];
  /** Each step of the path (stage-tracer.ts), sorted. */
  readonly stages: Record<StageKey, number[]>;
  /** CPU the browser used (all its processes) per sample, ms. */
  readonly browserCpuMsPerWrite: number;
}

/** Write through `writeUrl`, time until `dashboard` shows the row; one write at a time. */
async function updateLatencies(
  dashboard: DashboardPage,
  writeUrl: string,
  samples: number,
): Promise<UpdateTimings> {
  const { page } = dashboard;
  const total: number[] = [];
  const event: number[] = [];
  const refetch: number[] = [];
  const writeRtt: number[] = [];
  const stages = Object.fromEntries(STAGES.map(([key]) => [key, [] as number[]])) as Record<
    StageKey,
    number[]
  >;
  let cpuFrom = 0;
  for (let i = 0; i < samples + 3; i++) {
    if (i === 3) cpuFrom = chromiumCpuMs();
    // Start from a quiet page: a refetch still running (or owed) for an earlier write could pick
    // up this write by luck and make the figure look better than the live path is.
    await page.waitForFunction('window.__liveframe.queryClient.isFetching() === 0');
    await clearStageTrace(page);
    const { shown } = await watchNextRow(page, await newestRowId(page));
    const started = wallClockMs();
    const write = await writeOrder(writeUrl, 1 + (i % 20), 1 + (i % 10)).catch((error: unknown) => {
      writeErrors.push(String(error));
      return null;
    });
    if (write === null) continue;
    const written = wallClockMs();
    const shownAt = await shown;
    // The change set that carried this write: the oldest logged one at or past its frame.
    const frame = Number(write.frame.slice(write.frame.lastIndexOf(':') + 1));
    await page.waitForFunction('window.__liveframe.queryClient.isFetching() === 0');
    const record = (await page.evaluate(
      `window.__liveframe.log.getSnapshot().filter((r) => r.position !== null && r.position.frame >= ${frame}).at(-1) ?? null`,
    )) as { durationMs: number | null } | null;
    const steps = await sampleStages(page, frame, {
      writeSent: started,
      writeAcked: written,
      shown: shownAt,
    });
    if (i < 3) continue; // the first writes warm up caches and JIT
    total.push(shownAt - started);
    writeRtt.push(written - started);
    if (steps.eventReceived !== null) event.push(steps.eventReceived - started);
    if (record?.durationMs !== null && record?.durationMs !== undefined) refetch.push(record.durationMs);
    for (const [key, ms] of Object.entries(stageDurations(steps))) {
      if (ms !== null) stages[key as StageKey].push(ms);
    }
  }
  const browserCpuMsPerWrite = (chromiumCpuMs() - cpuFrom) / Math.max(1, total.length);
  const sorted = (values: number[]) => values.sort((a, b) => a - b);
  for (const key of Object.keys(stages)) sorted(stages[key as StageKey]);
  return {
    total: sorted(total),
    event: sorted(event),
    refetch: sorted(refetch),
    write: sorted(writeRtt),
    stages,
    browserCpuMsPerWrite,
  };
}

/** Failed writes (the server's errors), reported instead of aborting the run. */
const writeErrors: string[] = [];

/** Writes at `rate`/s for `seconds` through `writeUrl`; returns how many were acknowledged. */
async function generateLoad(writeUrl: string, rate: number, seconds: number): Promise<number> {
  const total = rate * seconds;
  const started = performance.now();
  const inFlight: Promise<unknown>[] = [];
  for (let i = 0; i < total; i++) {
    // Open-loop pacing: write i is due at i/rate seconds, whether or not earlier ones returned.
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    inFlight.push(writeOrder(writeUrl, 1 + (i % 20), 1 + (i % 10)));
  }
  const results = await Promise.allSettled(inFlight);
  for (const result of results) if (result.status === 'rejected') writeErrors.push(String(result.reason));
  return results.filter((r) => r.status === 'fulfilled').length;
}

interface LogTotals {
  changeSets: number;
  refetches: number;
  skipped: number;
  fetches: number;
}

function printTable(rows: readonly (readonly string[])[]): void {
  const widths = (rows[0] ?? []).map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  for (const row of rows) console.log(row.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join('  '));
}

async function main(): Promise<void> {
  await buildWeb();
  // The server processes inherit the environment; main.ts reads this variable.
  process.env.LIVEFRAME_SYNC_INTERVAL_MS = SYNC_INTERVAL_MS;
  const mode = values.local ? 'local' : 'replica';
  const syncHints = !values['no-sync-hints'];
  await using cluster = await startCluster({ servers: values.local ? 1 : 2, mode, syncHints });
  await using browser = await launchBrowser();
  const serverA = cluster.server(0);
  const serverB = cluster.servers[1] ?? serverA;

  const open = async (url: string) => {
    const { page } = await browser.newPage();
    await installStageTracer(page);
    await page.goto(url);
    const dashboard = new DashboardPage(page);
    await dashboard.waitUntilLive();
    return dashboard;
  };
  // One page at a time, so the two phases do not load the servers for each other.
  // Baseline: the browser is on the server that takes the write.
  const onA = await open(cluster.pageFor(serverA));
  const sameServer = await updateLatencies(onA, serverA.url, SAMPLES);
  await onA.page.context().close();
  // The figure: written through A, shown by a browser on B.
  const onB = await open(cluster.pageFor(serverB));
  const crossServer = await updateLatencies(onB, serverA.url, SAMPLES);

  const totals = () => onB.page.evaluate('({ ...window.__liveframe.log.totals })') as Promise<LogTotals>;
  const before = await totals();
  const writes = await generateLoad(serverA.url, LOAD_RATE, LOAD_SECONDS);
  // Let the last invalidations land: wait until the page shows the newest write.
  const last = await writeOrder(serverA.url);
  await onB.orderRow(last.id).waitFor({ timeout: 30_000 });
  const after = await totals();
  // Fetches actually sent, not queries named by change sets (one fetch can serve several).
  const refetches = after.fetches - before.fetches;
  const liveQueries = (await onB.page.evaluate(
    'window.__liveframe.registry.getStatus().liveQueries',
  )) as number;

  const load = (await import('node:os')).loadavg()[0] ?? 0;
  const results = {
    mode,
    samples: SAMPLES,
    server_sync_interval_ms: Number(SYNC_INTERVAL_MS),
    server_sync_hints: !values['no-sync-hints'],
    browser_update_p50_ms: round(percentile(crossServer.total, 50)),
    browser_update_p95_ms: round(percentile(crossServer.total, 95)),
    browser_event_p50_ms: round(percentile(crossServer.event, 50)),
    browser_refetch_p50_ms: round(percentile(crossServer.refetch, 50)),
    write_roundtrip_p50_ms: round(percentile(crossServer.write, 50)),
    browser_update_same_server_p50_ms: round(percentile(sameServer.total, 50)),
    browser_update_same_server_p95_ms: round(percentile(sameServer.total, 95)),
    browser_event_same_server_p50_ms: round(percentile(sameServer.event, 50)),
    browser_refetch_same_server_p50_ms: round(percentile(sameServer.refetch, 50)),
    browser_update_p50_ratio_vs_same_server: round(
      percentile(crossServer.total, 50) / percentile(sameServer.total, 50),
    ),
    ...Object.fromEntries(
      STAGES.map(([key]) => [`browser_stage_${key}_p50_ms`, round(percentile(crossServer.stages[key], 50))]),
    ),
    browser_cpu_ms_per_write: Math.round(crossServer.browserCpuMsPerWrite),
    browser_cpu_ms_per_write_same_server: Math.round(sameServer.browserCpuMsPerWrite),
    load_rate_per_s: LOAD_RATE,
    load_writes: writes + 1,
    live_queries_on_page: liveQueries,
    change_sets_seen: after.changeSets - before.changeSets,
    refetches_per_write: Math.round((refetches / (writes + 1)) * 100) / 100,
    skipped_per_write: Math.round(((after.skipped - before.skipped) / (writes + 1)) * 100) / 100,
    machine_load_avg_1m: round(load),
    write_errors: writeErrors.length,
  };

  const rows: [string, string, string, string][] = [
    ['metric', `cross-server (A→B, ${mode})`, 'baseline: same server', 'ratio'],
    [
      'browser update p50 ms',
      String(results.browser_update_p50_ms),
      String(results.browser_update_same_server_p50_ms),
      `${results.browser_update_p50_ratio_vs_same_server}x`,
    ],
    [
      'write → event in page p50 ms',
      String(results.browser_event_p50_ms),
      String(results.browser_event_same_server_p50_ms),
      `${round(results.browser_event_p50_ms / results.browser_event_same_server_p50_ms)}x`,
    ],
    [
      'write HTTP round trip p50 ms',
      String(results.write_roundtrip_p50_ms),
      String(round(percentile(sameServer.write, 50))),
      '',
    ],
    [
      'event → refetches settled p50 ms',
      String(results.browser_refetch_p50_ms),
      String(results.browser_refetch_same_server_p50_ms),
      `${round(results.browser_refetch_p50_ms / results.browser_refetch_same_server_p50_ms)}x`,
    ],
    [
      'browser update p95 ms',
      String(results.browser_update_p95_ms),
      String(results.browser_update_same_server_p95_ms),
      `${round(results.browser_update_p95_ms / results.browser_update_same_server_p95_ms)}x`,
    ],
    [
      `refetches / write @ ${LOAD_RATE}/s`,
      String(results.refetches_per_write),
      `${liveQueries} live queries`,
      `${round(results.refetches_per_write / Math.max(1, liveQueries))}x of all`,
    ],
  ];
  // Medians of each step on its own: they need not add up to the update p50.
  const stageRows: string[][] = [
    ['stage p50 ms', 'cross-server (A→B)', 'same server'],
    ...STAGES.map(([key, label]) => [
      label,
      String(round(percentile(crossServer.stages[key], 50))),
      String(round(percentile(sameServer.stages[key], 50))),
    ]),
    [
      'browser CPU per write, all processes',
      String(results.browser_cpu_ms_per_write),
      String(results.browser_cpu_ms_per_write_same_server),
    ],
  ];
  printTable(rows);
  console.log('');
  printTable(stageRows);
  console.log(`(machine load average over the last minute: ${results.machine_load_avg_1m})`);
  if (writeErrors.length > 0) {
    console.log(`${writeErrors.length} writes failed on the server, first: ${writeErrors[0]?.slice(0, 300)}`);
  }
  await writeFile(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nwrote ${RESULTS}`);
}

await main();
