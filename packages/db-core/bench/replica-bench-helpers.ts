import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const resultsDir = join(dirname(fileURLToPath(import.meta.url)), '../../../bench/results');

/** Merges `values` into bench/results/<file>: only these keys are overwritten. */
export function mergeResults(file: string, values: Record<string, number | string | null>): void {
  mkdirSync(resultsDir, { recursive: true });
  const path = join(resultsDir, file);
  let current: Record<string, unknown> = {};
  try {
    current = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch {
    // First run.
  }
  writeFileSync(path, `${JSON.stringify({ ...current, ...values }, null, 2)}\n`);
}

export function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

export const round = (value: number, digits = 2): number => Number(value.toFixed(digits));
