import type { FramePosition } from '../position.ts';
import type { ColumnarChanges } from './protocol.ts';

/** What to publish: the changes not published before, at a position never behind the last one. */
export interface SequencedChanges {
  readonly position: FramePosition;
  readonly changes: ColumnarChanges;
}

/**
 * Keeps one replica's change stream in change-log order when rows reach it two ways: from the
 * primary when a write is acknowledged (read inside the write's own transaction, or handed over
 * by the peer that wrote), and later from the replica's own log read after the sync that brings
 * them. Each log row is published once, the first time it arrives, and positions never go back.
 *
 * The change log's `seq` orders every commit on the primary (one writer at a time), so "rows
 * `last + 1 ..` in order" is the whole condition for publishing early; anything else (a gap, a
 * row already published, another generation, a log not known yet) waits for the replica's sync,
 * which always delivers.
 */
export class ChangeSequencer {
  #seq: number | null;
  #position: FramePosition;

  constructor(position: FramePosition, logCursor: number | null) {
    this.#position = position;
    this.#seq = logCursor;
  }

  /** Seq of the last log row published; null while unknown (no change log yet). */
  get seq(): number | null {
    return this.#seq;
  }

  /** Position of the newest publication (at or past the replica's own). */
  get position(): FramePosition {
    return this.#position;
  }

  /**
   * Rows read from the primary at `position` (the commit that wrote them, or later). Returns the
   * part to publish now, or null when the replica's sync must deliver them instead.
   */
  fromPrimary(position: FramePosition, rows: ColumnarChanges): SequencedChanges | null {
    const seq = this.#seq;
    const count = rows.ops.length;
    if (seq === null || count === 0 || position.generation !== this.#position.generation) return null;
    const last = rows.firstSeq + count - 1;
    if (last <= seq || rows.firstSeq > seq + 1) return null;
    return this.#take(position, rows, seq + 1 - rows.firstSeq, last);
  }

  /**
   * The replica read `changes` (or nothing) after a sync to `position`; `logCursor` is where its
   * log read stands. Returns what was not published yet, if anything.
   */
  fromReplica(
    position: FramePosition,
    changes: ColumnarChanges | null,
    logCursor: number | null,
  ): SequencedChanges | null {
    const seq = this.#seq;
    if (changes === null || changes.ops.length === 0) {
      this.#position = later(position, this.#position);
      if (logCursor !== null && (seq === null || logCursor > seq)) this.#seq = logCursor;
      return null;
    }
    const last = changes.firstSeq + changes.ops.length - 1;
    if (seq !== null && last <= seq) {
      this.#position = later(position, this.#position);
      return null;
    }
    const skip = seq === null ? 0 : Math.max(0, seq + 1 - changes.firstSeq);
    return this.#take(position, changes, skip, last);
  }

  /** A schema event or refetch-all at the replica's `position`: where to publish it. */
  mark(position: FramePosition): FramePosition {
    this.#position = later(position, this.#position);
    return this.#position;
  }

  /** After a refetch-all or generation change: continue from the replica's log cursor. */
  reset(position: FramePosition, logCursor: number | null): void {
    this.#position = later(position, this.#position);
    this.#seq = logCursor;
  }

  #take(position: FramePosition, rows: ColumnarChanges, skip: number, last: number): SequencedChanges {
    this.#seq = last;
    this.#position = later(position, this.#position);
    const changes =
      skip === 0
        ? rows
        : {
            firstSeq: rows.firstSeq + skip,
            tables: rows.tables,
            tableIndex: rows.tableIndex.subarray(skip),
            ops: rows.ops.subarray(skip),
            rowids: rows.rowids.subarray(skip),
          };
    return { position: this.#position, changes };
  }
}

/** The later of two positions; a different generation means `next` (the replica's) wins. */
function later(next: FramePosition, current: FramePosition): FramePosition {
  return next.generation !== current.generation || next.frame >= current.frame ? next : current;
}
