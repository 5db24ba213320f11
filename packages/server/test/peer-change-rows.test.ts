import { describe, expect, it } from 'vitest';
import { appendChangeRows, MAX_HINT_CHANGE_ROWS } from '../src/cluster/peer-change-rows.ts';

const rows = (firstSeq: number, tables: string[], tableIndex: number[]) => ({
  firstSeq,
  tables,
  tableIndex,
  ops: tableIndex.map(() => 1),
  rowids: tableIndex.map((_, i) => firstSeq + i),
});

describe('appendChangeRows', () => {
  it('joins rows that continue each other, mapping the second batch onto one table list', () => {
    const joined = appendChangeRows(
      rows(5, ['orders', 'events'], [0, 1]),
      rows(7, ['events', 'items'], [1, 0]),
    );
    expect(joined).toEqual({
      firstSeq: 5,
      tables: ['orders', 'events', 'items'],
      tableIndex: [0, 1, 2, 1],
      ops: [1, 1, 1, 1],
      rowids: [5, 6, 7, 8],
    });
  });

  it('refuses a gap, an overlap and more rows than a hint may carry', () => {
    expect(appendChangeRows(rows(5, ['t'], [0]), rows(7, ['t'], [0]))).toBeNull();
    expect(appendChangeRows(rows(5, ['t'], [0, 0]), rows(6, ['t'], [0]))).toBeNull();
    const big = rows(1, ['t'], new Array(MAX_HINT_CHANGE_ROWS).fill(0));
    expect(appendChangeRows(big, rows(1 + MAX_HINT_CHANGE_ROWS, ['t'], [0]))).toBeNull();
  });
});
