import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LiveQueryRegistry, normalizeTableName, summarizeChanges } from '../src/index.ts';
import { MODEL_TABLES, modelOp, modelQuery, modelTransaction } from './support/model-arbitraries.ts';
import type { ModelQuery } from './support/table-model.ts';
import { modelReadSet, queryKey, TableModel } from './support/table-model.ts';

/** Point-lookup rowids of a query, per normalised table, where its read-set is rowid-filtered. */
function pointRowids(query: ModelQuery): Map<string, ReadonlySet<number>> {
  const result = new Map<string, ReadonlySet<number>>();
  for (const [table, filter] of modelReadSet(query).tables) {
    if (filter.kind === 'rowids') result.set(table, filter.rowids);
  }
  return result;
}

describe('invalidation matching on a table model (property)', () => {
  it('never misses an invalidation, and point lookups ignore other rows', () => {
    fc.assert(
      fc.property(
        fc.array(modelOp, { maxLength: 20 }),
        fc.array(modelQuery, { minLength: 1, maxLength: 15 }),
        fc.array(modelTransaction, { minLength: 1, maxLength: 15 }),
        (setup, queries, transactions) => {
          const model = new TableModel(MODEL_TABLES);
          for (const op of setup) model.apply(op);
          const registry = new LiveQueryRegistry();
          for (const [i, query] of queries.entries())
            registry.register('client', queryKey(query, i), modelReadSet(query));

          for (const transaction of transactions) {
            const before = queries.map((query) => model.evaluate(query));
            const changes = transaction.flatMap((op) => model.apply(op));
            const invalidated = new Set(registry.match(summarizeChanges({ changes })).get('client')?.queries);

            queries.forEach((query, i) => {
              const key = queryKey(query, i);
              // No missed invalidation: a changed result was always invalidated.
              if (model.evaluate(query) !== before[i]) expect(invalidated.has(key), key).toBe(true);
              // Exactness of the read-set intersection: invalidated iff some change can touch what it reads.
              const rowidFilters = pointRowids(query);
              const expected = changes.some((change) => {
                const table = normalizeTableName(change.table);
                const filter = modelReadSet(query).tables.get(table);
                if (filter === undefined) return false;
                const rowids = rowidFilters.get(table);
                return rowids === undefined || change.rowid === null || rowids.has(change.rowid);
              });
              expect(invalidated.has(key), `${key} after ${JSON.stringify(changes)}`).toBe(expected);
            });
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
