import { describe, expect, it } from 'vitest';
import { ChangeSequencer } from '../src/replica/change-sequencer.ts';
import type { ColumnarChanges } from '../src/replica/protocol.ts';

const at = (frame: number, generation = 'g') => ({ generation, frame });

/** Rows `firstSeq ..` of table t, with row ids equal to their seq (easy to read back). */
function rows(firstSeq: number, count: number): ColumnarChanges {
  return {
    firstSeq,
    tables: ['t'],
    tableIndex: new Uint32Array(count),
    ops: new Uint8Array(count).fill(1),
    rowids: Float64Array.from({ length: count }, (_, i) => firstSeq + i),
  };
}

const seqsOf = (changes: ColumnarChanges | undefined) =>
  changes === undefined ? [] : Array.from(changes.rowids);

describe('ChangeSequencer', () => {
  it('publishes primary rows that continue the stream, then only the rest of what the replica reads', () => {
    const s = new ChangeSequencer(at(10), 5);
    const early = s.fromPrimary(at(14), rows(6, 3));
    expect(early?.position).toEqual(at(14));
    expect(seqsOf(early?.changes)).toEqual([6, 7, 8]);
    // The replica's sync brings 6..10: 6..8 were published, 9..10 are new.
    const later = s.fromReplica(at(16), rows(6, 5), 10);
    expect(later?.position).toEqual(at(16));
    expect(seqsOf(later?.changes)).toEqual([9, 10]);
    expect(s.seq).toBe(10);
  });

  it('refuses rows after a gap, rows already published, another generation and an unknown cursor', () => {
    const s = new ChangeSequencer(at(10), 5);
    expect(s.fromPrimary(at(12), rows(8, 2))).toBeNull(); // 6..7 missing
    expect(s.fromPrimary(at(12), rows(3, 3))).toBeNull(); // 3..5 already out
    expect(s.fromPrimary(at(12, 'h'), rows(6, 1))).toBeNull();
    expect(new ChangeSequencer(at(10), null).fromPrimary(at(12), rows(1, 1))).toBeNull();
    expect(s.seq).toBe(5);
  });

  it('takes the unpublished tail of overlapping primary rows', () => {
    const s = new ChangeSequencer(at(10), 5);
    expect(seqsOf(s.fromPrimary(at(12), rows(3, 5))?.changes)).toEqual([6, 7]);
  });

  it('never moves a position back: a replica behind the early rows publishes at the early position', () => {
    const s = new ChangeSequencer(at(10), 5);
    s.fromPrimary(at(20), rows(6, 1));
    const next = s.fromReplica(at(15), rows(6, 2), 7);
    expect(next?.position).toEqual(at(20));
    expect(seqsOf(next?.changes)).toEqual([7]);
    expect(s.mark(at(18))).toEqual(at(20));
    expect(s.fromReplica(at(25), null, 7)).toBeNull();
    expect(s.position).toEqual(at(25));
  });

  it('learns the cursor from the replica and restarts from it after a reset', () => {
    const s = new ChangeSequencer(at(1), null);
    expect(s.fromReplica(at(2), null, 0)).toBeNull();
    expect(s.seq).toBe(0);
    expect(seqsOf(s.fromPrimary(at(3), rows(1, 2))?.changes)).toEqual([1, 2]);
    s.reset(at(1, 'h'), 40);
    expect(s.position).toEqual(at(1, 'h'));
    expect(s.fromPrimary(at(5, 'h'), rows(3, 1))).toBeNull();
    expect(seqsOf(s.fromPrimary(at(5, 'h'), rows(41, 1))?.changes)).toEqual([41]);
  });
});
