import { fileURLToPath } from 'node:url';
import { measureFalseInvalidation } from './false-invalidation.ts';
import { measureMatchLatency } from './match-latency.ts';
import { mergeResults } from './results-file.ts';

/**
 * `npm run bench -w @liveframe/reactive`: prints each measurement next to its same-run baseline and
 * merges the reactive keys into bench/results/reactive.json. Not part of the test suite.
 */
const RESULTS = fileURLToPath(new URL('../../../bench/results/reactive.json', import.meta.url));

const latency = measureMatchLatency();
const falseInvalidation = measureFalseInvalidation();
if (falseInvalidation.missed !== 0)
  throw new Error(`${falseInvalidation.missed} changed results were never invalidated`);

const round = (value: number, digits = 1) => Number(value.toFixed(digits));
const rows = [
  {
    metric: 'match 10 changes vs 10k queries (median µs)',
    value: round(latency.indexedMedianUs),
    baseline: round(latency.linearMedianUs),
    'baseline is': 'linear scan of all read-sets',
  },
  {
    metric: 'match, p99 µs',
    value: round(latency.indexedP99Us),
    baseline: round(latency.linearMedianUs),
    'baseline is': 'linear scan (median)',
  },
  {
    metric: 'hub.publish incl. 500 subscriptions (median µs)',
    value: round(latency.publishMedianUs),
    baseline: round(latency.linearMedianUs),
    'baseline is': 'linear scan (median)',
  },
  {
    metric: 'false invalidations %',
    value: round(falseInvalidation.rowidPct),
    baseline: round(falseInvalidation.tableOnlyPct),
    'baseline is': 'table-only matching',
  },
].map((row) => ({ ...row, 'value/baseline': round(row.value / row.baseline, 3) }));
console.table(rows);
console.log(
  `queries invalidated per change set: ${round(latency.averageInvalidated)}; invalidations rowid/table-only: ` +
    `${falseInvalidation.rowidInvalidations}/${falseInvalidation.tableOnlyInvalidations}, ` +
    `real changes: ${falseInvalidation.realChanges}, missed: ${falseInvalidation.missed}`,
);

mergeResults(RESULTS, {
  match_10k_queries_us: round(latency.indexedMedianUs),
  match_10k_queries_p99_us: round(latency.indexedP99Us),
  match_10k_queries_linear_scan_us: round(latency.linearMedianUs),
  publish_10k_queries_us: round(latency.publishMedianUs),
  false_invalidation_pct: round(falseInvalidation.rowidPct),
  false_invalidation_table_only_pct: round(falseInvalidation.tableOnlyPct),
});
console.log(`merged into ${RESULTS}`);
