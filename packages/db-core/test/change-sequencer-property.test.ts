import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChangeSequencer } from '../src/replica/change-sequencer.ts';
import type { ColumnarChanges } from '../src/replica/protocol.ts';

/**
 * Random interleavings of the two ways log rows reach a replica's stream: read from the primary
 * at some commit, starting from whatever seq the reader believed was published (possibly stale,
 * as a tail sent before an earlier answer arrived, or a peer's hint), and the replica's own log
 * read after syncs that only move forward. Whatever the order, every row is published exactly
 * once, in seq order, never labelled with a frame before its own commit, and positions never go
 * back.
 */
interface Commit {
  readonly frame: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
}

function commitsOf(sizes: readonly number[]): Commit[] {
  const commits: Commit[] = [];
  let seq = 0;
  let frame = 1;
  for (const size of sizes) {
    frame += 1 + (size % 3); // frames grow by at least one per commit (a commit may span several)
    commits.push({ frame, firstSeq: seq + 1, lastSeq: seq + size });
    seq += size;
  }
  return commits;
}

/** Rows `from+1 .. to` as columnar changes whose row ids are their seqs. */
function rowsBetween(from: number, to: number): ColumnarChanges {
  const count = to - from;
  return {
    firstSeq: from + 1,
    tables: ['t'],
    tableIndex: new Uint32Array(count),
    ops: new Uint8Array(count).fill(2),
    rowids: Float64Array.from({ length: count }, (_, i) => from + 1 + i),
  };
}

const step = fc.oneof(
  fc.record({ kind: fc.constant('primary' as const), commit: fc.nat(40), from: fc.nat(1000) }),
  fc.record({ kind: fc.constant('replica' as const), advance: fc.nat(3) }),
);

describe('ChangeSequencer (property)', () => {
  it('publishes every row once, in order, at or after its commit, positions never going back', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 40 }),
        fc.array(step, { maxLength: 80 }),
        (sizes, steps) => {
          const commits = commitsOf(sizes);
          const start = { generation: 'g', frame: 1 };
          const sequencer = new ChangeSequencer(start, 0);
          const published: number[] = [];
          let lastFrame = start.frame;
          let synced = -1; // index of the last commit the replica has synced
          const commitOfSeq = (seq: number) => commits.find((c) => seq >= c.firstSeq && seq <= c.lastSeq)!;
          const take = (out: ReturnType<ChangeSequencer['fromPrimary']>) => {
            if (out === null) return;
            expect(out.position.frame).toBeGreaterThanOrEqual(lastFrame);
            lastFrame = out.position.frame;
            for (const seq of out.changes.rowids) {
              published.push(seq);
              expect(out.position.frame).toBeGreaterThanOrEqual(commitOfSeq(seq).frame);
            }
          };
          const replicaTo = (index: number) => {
            const reader = synced < 0 ? 0 : commits[synced]!.lastSeq;
            synced = index;
            const commit = commits[index]!;
            const rows = commit.lastSeq > reader ? rowsBetween(reader, commit.lastSeq) : null;
            take(sequencer.fromReplica({ generation: 'g', frame: commit.frame }, rows, commit.lastSeq));
          };
          for (const s of steps) {
            if (s.kind === 'replica') {
              if (synced < commits.length - 1)
                replicaTo(Math.min(commits.length - 1, synced + 1 + s.advance));
            } else {
              const commit = commits[s.commit % commits.length]!;
              const from = s.from % (commit.lastSeq + 1);
              if (from < commit.lastSeq) {
                take(
                  sequencer.fromPrimary(
                    { generation: 'g', frame: commit.frame },
                    rowsBetween(from, commit.lastSeq),
                  ),
                );
              }
            }
            expect(published).toEqual(Array.from({ length: published.length }, (_, i) => i + 1));
          }
          if (synced < commits.length - 1) replicaTo(commits.length - 1);
          const total = commits.at(-1)!.lastSeq;
          expect(published).toEqual(Array.from({ length: total }, (_, i) => i + 1));
        },
      ),
      { numRuns: 500 },
    );
  });
});
