/**
 * Nearest-rank percentile: the smallest sample with at least p% of the samples at or below it
 * (of 100 samples the p99 is the 99th smallest, not the largest).
 */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}
