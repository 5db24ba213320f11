import fc from 'fast-check';
import type { ModelOp, ModelQuery } from './table-model.ts';

export const MODEL_TABLES = ['users', 'Posts', 'tags'] as const;
/** Small rowid space so point lookups and explicit-rowid inserts collide often. */
const ROWID = fc.integer({ min: 1, max: 12 });
const VALUE = fc.integer({ min: 0, max: 5 });
const TABLE = fc.constantFrom(...MODEL_TABLES);

export const modelOp: fc.Arbitrary<ModelOp> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('insert' as const),
      table: TABLE,
      rowid: fc.option(ROWID),
      k: ROWID,
      v: VALUE,
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record(
      { kind: fc.constant('update' as const), table: TABLE, pick: fc.nat(), k: ROWID, v: VALUE },
      { requiredKeys: ['kind', 'table', 'pick'] },
    ),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('delete' as const), table: TABLE, pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), table: TABLE }) },
);

export const modelQuery: fc.Arbitrary<ModelQuery> = fc.oneof(
  fc.record({ kind: fc.constant('scan' as const), table: TABLE }),
  fc.record({ kind: fc.constant('filter' as const), table: TABLE, minV: VALUE }),
  fc.record({ kind: fc.constant('count' as const), table: TABLE }),
  fc.record({
    kind: fc.constant('point' as const),
    table: TABLE,
    ids: fc.uniqueArray(ROWID, { minLength: 1, maxLength: 3 }),
  }),
  fc.record({ kind: fc.constant('point' as const), table: TABLE, ids: fc.tuple(ROWID).map((t) => [...t]) }),
  fc.record({ kind: fc.constant('join' as const), left: TABLE, right: TABLE }),
  fc.record({ kind: fc.constant('point-join' as const), left: TABLE, right: TABLE, id: ROWID }),
);

/** A transaction: the ops of one commit, i.e. one change set. */
export const modelTransaction = fc.array(modelOp, { minLength: 1, maxLength: 5 });
