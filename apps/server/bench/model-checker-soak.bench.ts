import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatViolations, runModelChecker } from '../test/support/model-checker/model-checker-run.ts';
import { PROFILES } from '../test/support/model-checker/workload-profiles.ts';

/**
 * `node --import tsx bench/model-checker-soak.bench.ts`: the live-query model checker
 * (test/model-checker.test.ts) in soak mode, every profile over more seeds and steps.
 * `LIVEFRAME_CHECKER_SEEDS` (default 10), `LIVEFRAME_CHECKER_STEPS` (default 200),
 * `LIVEFRAME_CHECKER_PROFILES` (comma list, default all), `LIVEFRAME_CHECKER_DELIVERY` (comma list
 * of `invalidate`, `push`; default both). Results go to
 * bench/results/model-checker.json. Never part of the test suite.
 */
const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', '..', '..', 'bench', 'results', 'model-checker.json');
const seeds = Number(process.env.LIVEFRAME_CHECKER_SEEDS ?? 10);
const steps = Number(process.env.LIVEFRAME_CHECKER_STEPS ?? 200);
const names = process.env.LIVEFRAME_CHECKER_PROFILES?.split(',') ?? Object.keys(PROFILES);
const deliveries = (process.env.LIVEFRAME_CHECKER_DELIVERY?.split(',') ?? ['invalidate', 'push']) as (
  | 'invalidate'
  | 'push'
)[];

const started = Date.now();
let writes = 0;
let checks = 0;
let comparisons = 0;
const violations: Awaited<ReturnType<typeof runModelChecker>>['violations'][number][] = [];
for (const delivery of deliveries) {
  for (const name of names) {
    const profile = PROFILES[name];
    if (profile === undefined) throw new Error(`unknown profile ${name}`);
    for (let seed = 1; seed <= seeds; seed++) {
      const result = await runModelChecker({ seed, steps, profile, delivery });
      writes += result.writes;
      checks += result.checks;
      comparisons += result.comparisons;
      violations.push(...result.violations);
      console.log(
        `${delivery} ${name} seed ${seed}: ${result.checks} checks, ${result.violations.length} violations`,
      );
    }
  }
}
const results = {
  profiles: names.join(','),
  deliveries: deliveries.join(','),
  seeds,
  steps,
  writes,
  checks,
  comparisons,
  violations: violations.length,
  wall_s: Math.round((Date.now() - started) / 100) / 10,
};
console.log(formatViolations(violations, 20));
console.table(results);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
