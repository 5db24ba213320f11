import { describe, expect, it } from 'vitest';
import {
  type CheckerResult,
  formatViolations,
  runModelChecker,
} from './support/model-checker/model-checker-run.ts';
import { MUTATION_KINDS } from './support/model-checker/mutation-kinds.ts';
import { QUERY_SHAPES } from './support/model-checker/query-shapes.ts';

// Bounded for `npm test`; bench/model-checker-soak.bench.ts runs more seeds and steps.
const SEEDS = [1, 2, 3];
const STEPS = 48;

describe('model checker: live-query results stay correct under random workloads (replica mode)', () => {
  it(`${SEEDS.length} seeds x ${STEPS} steps: every held result equals the primary's after each quiescence`, async () => {
    const results: CheckerResult[] = [];
    for (const seed of SEEDS) {
      results.push(
        await runModelChecker({
          seed,
          steps: STEPS,
          ...(process.env.LIVEFRAME_CHECKER_LOG ? { log: (line: string) => console.log(line) } : {}),
        }),
      );
    }
    const violations = results.flatMap((r) => r.violations);
    const report = formatViolations(violations, 40);
    if (violations.length > 0) console.log(report);
    expect(report).toBe('no violations');
    for (const result of results) {
      expect(result.checks).toBeGreaterThan(0);
      expect(result.comparisons).toBeGreaterThan(0);
      expect(result.writes).toBeGreaterThan(0);
    }
    const shapes = new Set(results.flatMap((r) => [...r.shapesMounted]));
    const kinds = new Set(results.flatMap((r) => [...r.mutationKinds]));
    expect([...shapes].sort()).toEqual(QUERY_SHAPES.map((s) => s.name).sort());
    expect([...kinds].sort()).toEqual(MUTATION_KINDS.map((k) => k.name).sort());
  }, 240_000);
});
