import { describe, expect, it } from 'vitest';
import {
  type CheckerResult,
  formatViolations,
  runModelChecker,
} from './support/model-checker/model-checker-run.ts';
import { MUTATION_KINDS } from './support/model-checker/mutation-kinds.ts';
import type { DeliveryMode } from './support/model-checker/protocol-client.ts';
import { QUERY_SHAPES } from './support/model-checker/query-shapes.ts';
import { PROFILES } from './support/model-checker/workload-profiles.ts';

// Bounded for `npm test` (both delivery modes, ~25 s each on 2 cores); bench/model-checker-soak.bench.ts
// runs more seeds and steps.
const MIXED_SEEDS = [1, 2, 3];
const MIXED_STEPS = 48;
/** Each single-cause profile once: a violation under it names the class of missed invalidation. */
const FOCUSED_STEPS = 56;
const FOCUSED_SEED = 11;
const log = process.env.LIVEFRAME_CHECKER_LOG ? { log: (line: string) => console.log(line) } : {};

function expectNoViolations(results: readonly CheckerResult[]): void {
  const violations = results.flatMap((r) => r.violations);
  const report = formatViolations(violations, 40);
  if (violations.length > 0) console.log(report);
  expect(report).toBe('no violations');
  for (const result of results) {
    expect(result.checks).toBeGreaterThan(0);
    expect(result.comparisons).toBeGreaterThan(0);
    expect(result.writes).toBeGreaterThan(0);
  }
}

const sum = (results: readonly CheckerResult[], count: (r: CheckerResult) => number) =>
  results.reduce((total, r) => total + count(r), 0);

function summary(label: string, results: readonly CheckerResult[]): string {
  return (
    `${label}: ${results.length} runs, ${sum(results, (r) => r.steps)} steps, ${sum(results, (r) => r.writes)} writes, ` +
    `${sum(results, (r) => r.checks)} checks, ${sum(results, (r) => r.comparisons)} comparisons, ` +
    `${sum(results, (r) => r.fetches)} fetches, ${sum(results, (r) => r.pushedApplied)} pushed results applied ` +
    `(${sum(results, (r) => r.pushedSkipped)} skipped as older), ${sum(results, (r) => r.wallMs)} ms`
  );
}

/** The same seeds and steps in both modes, so their fetch counts compare. */
const ran: Record<DeliveryMode, { mixed?: CheckerResult[]; focused?: CheckerResult[] }> = {
  invalidate: {},
  push: {},
};

async function mixed(delivery: DeliveryMode): Promise<CheckerResult[]> {
  const results: CheckerResult[] = [];
  for (const seed of MIXED_SEEDS) {
    results.push(await runModelChecker({ seed, steps: MIXED_STEPS, delivery, ...log }));
  }
  console.log(summary(`mixed, ${delivery}`, results));
  expectNoViolations(results);
  const shapes = new Set(results.flatMap((r) => [...r.shapesMounted]));
  const kinds = new Set(results.flatMap((r) => [...r.mutationKinds]));
  expect([...shapes].sort()).toEqual(QUERY_SHAPES.map((s) => s.name).sort());
  expect([...kinds].sort()).toEqual(MUTATION_KINDS.map((k) => k.name).sort());
  ran[delivery].mixed = results;
  return results;
}

async function focused(delivery: DeliveryMode): Promise<CheckerResult[]> {
  const results: CheckerResult[] = [];
  for (const profile of Object.values(PROFILES).filter((p) => p.name !== 'mixed')) {
    results.push(
      await runModelChecker({ seed: FOCUSED_SEED, steps: FOCUSED_STEPS, profile, delivery, ...log }),
    );
  }
  console.log(summary(`single-cause profiles, ${delivery}`, results));
  expectNoViolations(results);
  // The shared-cache profile reached its trigger: an item moved while only away sessions held its
  // query, and the new owner was renamed once an open stream held that query again.
  const sharedCache = results.find((r) => r.profile === 'shared-cache')!;
  expect(sharedCache.targeted.awayMoves).toBeGreaterThan(0);
  expect(sharedCache.targeted.strandedRenames).toBeGreaterThan(0);
  ran[delivery].focused = results;
  return results;
}

/** Push mode received results and fetched less than invalidate mode did on the same workload. */
function expectPushSavedFetches(
  push: readonly CheckerResult[],
  invalidate: readonly CheckerResult[] | undefined,
) {
  expect(sum(push, (r) => r.pushedApplied)).toBeGreaterThan(0);
  for (const result of push) expect(result.pushedApplied).toBeGreaterThan(0);
  // Invalidate mode never gets results.
  if (invalidate === undefined) return; // run alone (e.g. `-t push`): nothing to compare with
  expect(sum(invalidate, (r) => r.pushedApplied)).toBe(0);
  expect(sum(push, (r) => r.fetches)).toBeLessThan(sum(invalidate, (r) => r.fetches));
}

describe('model checker, invalidate delivery: live-query results stay correct under random workloads (replica mode, 3 servers)', () => {
  it(`mixed workload, ${MIXED_SEEDS.length} seeds x ${MIXED_STEPS} steps: every held result equals the primary's at each quiescence`, async () => {
    await mixed('invalidate');
  }, 240_000);

  it('single-cause workloads (REPLACE conflicts, re-send + resume, shared read-set cache, re-sent FK query, FK equal to the input)', async () => {
    await focused('invalidate');
  }, 240_000);
});

describe('model checker, push delivery: pushed results stay correct under the same workloads', () => {
  it(`mixed workload, ${MIXED_SEEDS.length} seeds x ${MIXED_STEPS} steps: every held result equals the primary's at each quiescence, with fewer fetches`, async () => {
    const results = await mixed('push');
    expectPushSavedFetches(results, ran.invalidate.mixed);
  }, 240_000);

  it('single-cause workloads, pushed (the sentinel barrier is a pushed result too)', async () => {
    const results = await focused('push');
    expectPushSavedFetches(results, ran.invalidate.focused);
  }, 240_000);
});
