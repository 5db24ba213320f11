// npm run bench:packaging — what shipping compiled packages costs and buys: tarball sizes, the
// consumer app's offline install, the repo's typecheck, and the consumer server's cold start
// compiled (plain node) against the same source under tsx (the baseline, same run).
// Writes bench/results/packaging.json (flat).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  compileConsumer,
  createConsumer,
  REPO_ROOT,
  runOk,
  startConsumerServer,
} from '../tests/consumer/pack.ts';

const RUNS = 7;
const resultsFile = join(dirname(fileURLToPath(import.meta.url)), 'results', 'packaging.json');
const round = (value: number, digits = 2): number => Number(value.toFixed(digits));
const median = (samples: readonly number[]): number => {
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

// The whole repo's typecheck, turbo's cache bypassed (a cache hit would measure turbo only).
const typecheck = await runOk('npm', ['run', 'typecheck', '--', '--force', '--output-logs=errors-only'], {
  cwd: REPO_ROOT,
  timeoutMs: 900_000,
});

await using consumer = await createConsumer();
await compileConsumer(consumer.dir);

// tsx from the repo (the consumer has none): the same app source, transpiled at start.
const tsxLoader = import.meta.resolve('tsx');
const compiled: number[] = [];
const tsx: number[] = [];
for (let run = 0; run < RUNS; run++) {
  // Alternating, so drift on the shared machine hits both alike.
  for (const [samples, args] of [
    [compiled, ['dist/server.js']],
    [tsx, ['--import', tsxLoader, 'src/server.ts']],
  ] as const) {
    await using server = await startConsumerServer(consumer.dir, args, {
      dbPath: join(consumer.dir, `cold-${samples === compiled ? 'compiled' : 'tsx'}-${run}.db`),
    });
    samples.push(server.startupMs);
  }
}

const results: Record<string, number> = {};
for (const pkg of consumer.packed) results[`packed_size_kb_${pkg.dir}`] = round(pkg.size / 1024, 1);
results.consumer_install_s = round(consumer.installMs / 1000);
results.typecheck_s = round(typecheck.ms / 1000);
results.server_cold_start_ms_compiled = round(median(compiled), 1);
results.server_cold_start_ms_tsx = round(median(tsx), 1);

console.table(consumer.packed.map((pkg) => ({ package: pkg.name, 'packed KiB': round(pkg.size / 1024, 1) })));
console.table([
  {
    'install (s)': results.consumer_install_s,
    'repo typecheck (s)': results.typecheck_s,
    [`cold start compiled (ms, median of ${RUNS})`]: results.server_cold_start_ms_compiled,
    [`cold start tsx (ms, median of ${RUNS})`]: results.server_cold_start_ms_tsx,
    'compiled / tsx': round(median(compiled) / median(tsx)),
  },
]);
mkdirSync(dirname(resultsFile), { recursive: true });
writeFileSync(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
console.log(`wrote ${resultsFile}`);
