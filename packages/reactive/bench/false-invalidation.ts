import { LiveQueryRegistry, summarizeChanges } from '../src/index.ts';
import type { ModelOp, ModelQuery } from '../test/support/table-model.ts';
import { modelReadSet, queryKey, TableModel, tableOnlyReadSet } from '../test/support/table-model.ts';
import { pickInt, pickOne, seededRandom } from './seeded-random.ts';

/**
 * False invalidations on a mixed workload over the in-memory table model: the share of
 * invalidations whose query result did not actually change. Measured with rowid matching and,
 * as the baseline in the same run, with every read-set widened to table level.
 */
export interface FalseInvalidation {
  readonly rowidPct: number;
  readonly tableOnlyPct: number;
  readonly rowidInvalidations: number;
  readonly tableOnlyInvalidations: number;
  readonly realChanges: number;
  /** Changed results that no invalidation announced (must be 0). */
  readonly missed: number;
}

const TABLES = ['users', 'posts', 'comments', 'tags'];
const ROWS_PER_TABLE = 100;

export function measureFalseInvalidation(queryCount = 500, transactions = 1000): FalseInvalidation {
  const random = seededRandom(7);
  const model = new TableModel(TABLES);
  for (const table of TABLES) {
    for (let i = 0; i < ROWS_PER_TABLE; i++) {
      model.apply({
        kind: 'insert',
        table,
        rowid: null,
        k: pickInt(random, 1, ROWS_PER_TABLE),
        v: pickInt(random, 0, 9),
      });
    }
  }
  const rowid = () => pickInt(random, 1, ROWS_PER_TABLE + 20);
  const queries: ModelQuery[] = Array.from({ length: queryCount }, (): ModelQuery => {
    const roll = random();
    const table = pickOne(random, TABLES);
    const other = pickOne(random, TABLES);
    if (roll < 0.3) return { kind: 'point', table, ids: [rowid()] };
    if (roll < 0.45) return { kind: 'point-join', left: table, right: other, id: rowid() };
    if (roll < 0.65) return { kind: 'scan', table };
    if (roll < 0.8) return { kind: 'filter', table, minV: pickInt(random, 0, 9) };
    if (roll < 0.9) return { kind: 'count', table };
    return { kind: 'join', left: table, right: other };
  });
  const precise = new LiveQueryRegistry();
  const tableOnly = new LiveQueryRegistry();
  queries.forEach((query, i) => {
    precise.register('bench', queryKey(query, i), modelReadSet(query));
    tableOnly.register('bench', queryKey(query, i), tableOnlyReadSet(query));
  });
  const byKey = new Map(queries.map((query, i) => [queryKey(query, i), query]));
  const results = new Map([...byKey].map(([key, query]) => [key, model.evaluate(query)]));

  let rowidInvalidations = 0;
  let rowidFalse = 0;
  let tableOnlyInvalidations = 0;
  let tableOnlyFalse = 0;
  let realChanges = 0;
  let missed = 0;
  for (let t = 0; t < transactions; t++) {
    const ops = Array.from({ length: pickInt(random, 1, 4) }, (): ModelOp => {
      const roll = random();
      const table = pickOne(random, TABLES);
      if (roll < 0.55) {
        // Half of the updates touch a column no query filters on to a value it may already have.
        return { kind: 'update', table, pick: pickInt(random, 0, 1000), v: pickInt(random, 0, 9) };
      }
      if (roll < 0.8) {
        const explicit = random() < 0.3 ? rowid() : null;
        return {
          kind: 'insert',
          table,
          rowid: explicit,
          k: pickInt(random, 1, ROWS_PER_TABLE),
          v: pickInt(random, 0, 9),
        };
      }
      return { kind: 'delete', table, pick: pickInt(random, 0, 1000) };
    });
    const summary = summarizeChanges({ changes: ops.flatMap((op) => model.apply(op)) });
    const preciseHit = new Set(precise.match(summary).get('bench')?.queries);
    const tableHit = new Set(tableOnly.match(summary).get('bench')?.queries);
    const changed = new Set<string>();
    // Table-level matching is a superset; a periodic full re-evaluation checks nothing was missed.
    const candidates = t % 100 === 0 ? byKey.keys() : tableHit;
    for (const key of candidates) {
      const now = model.evaluate(byKey.get(key)!);
      if (now !== results.get(key)) {
        changed.add(key);
        results.set(key, now);
      }
    }
    realChanges += changed.size;
    for (const key of changed) if (!preciseHit.has(key) || !tableHit.has(key)) missed++;
    rowidInvalidations += preciseHit.size;
    tableOnlyInvalidations += tableHit.size;
    for (const key of preciseHit) if (!changed.has(key)) rowidFalse++;
    for (const key of tableHit) if (!changed.has(key)) tableOnlyFalse++;
  }
  return {
    rowidPct: (100 * rowidFalse) / rowidInvalidations,
    tableOnlyPct: (100 * tableOnlyFalse) / tableOnlyInvalidations,
    rowidInvalidations,
    tableOnlyInvalidations,
    realChanges,
    missed,
  };
}
