import type { ChangeSummary } from './change-summary.ts';
import { approximateSummaryBytes } from './change-summary.ts';
import type { FramePosition } from './position.ts';

/** One retained change set (or table-level schema change), reduced for matching. */
export interface HistoryRecord {
  readonly position: FramePosition;
  readonly summary: ChangeSummary;
  readonly bytes: number;
  /** Another retained or evicted record has the same frame (e.g. a schema event and its row changes). */
  sharesFrame: boolean;
}

/** Whether the history can replay everything after a position, and if not, why. */
export type HistoryCoverage =
  | { readonly covered: true }
  | {
      readonly covered: false;
      readonly reason: 'generation-changed' | 'position-ahead' | 'position-behind-history';
    };

export interface ChangeHistoryLimits {
  /** Retained change sets at most; default 4096. */
  readonly maxEntries?: number;
  /** Approximate retained bytes at most; default 16 MiB. */
  readonly maxBytes?: number;
}

/**
 * A bounded ring of recent change summaries, so a reconnecting subscriber can be told exactly what it
 * missed. Every record after `floor` is retained; older ones are evicted by count and approximate
 * bytes, and a resume from before the floor must refetch all.
 *
 * Records may share a frame (db-core can emit a schema event and the row changes of the same commit
 * at one position). A client whose last event id is that frame may have seen only some of them, so
 * such records are replayed again on resume: a duplicate invalidation is harmless, a missed one is not.
 *
 * @example
 * const history = new ChangeHistory({ generation: 'g', frame: 0 }, { maxEntries: 1000 });
 * history.append({ generation: 'g', frame: 1 }, summarizeChanges(changeSet));
 * history.coverage({ generation: 'g', frame: 0 }); // { covered: true }
 */
export class ChangeHistory {
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  #records: HistoryRecord[] = [];
  #start = 0;
  #bytes = 0;
  #floor: FramePosition;
  #floorShared = false;
  #floorEvicted = false;
  #head: FramePosition;

  constructor(start: FramePosition, limits: ChangeHistoryLimits = {}) {
    this.#maxEntries = Math.max(0, limits.maxEntries ?? 4096);
    this.#maxBytes = Math.max(0, limits.maxBytes ?? 16 * 1024 * 1024);
    this.#floor = start;
    this.#head = start;
  }

  /** Newest position appended or reset to. */
  get head(): FramePosition {
    return this.#head;
  }

  /** Everything after this position is retained. */
  get floor(): FramePosition {
    return this.#floor;
  }

  get length(): number {
    return this.#records.length - this.#start;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Appends a record; `position` must be in the head's generation and not before it. */
  append(position: FramePosition, summary: ChangeSummary): void {
    const last = this.length > 0 ? this.#records[this.#records.length - 1] : undefined;
    let sharesFrame = false;
    if (last !== undefined && last.position.frame === position.frame) {
      last.sharesFrame = true;
      sharesFrame = true;
    } else if (last === undefined && this.#floorEvicted && this.#floor.frame === position.frame) {
      this.#floorShared = true;
      sharesFrame = true;
    }
    const record: HistoryRecord = { position, summary, bytes: approximateSummaryBytes(summary), sharesFrame };
    this.#records.push(record);
    this.#bytes += record.bytes;
    this.#head = position;
    while (this.length > 0 && (this.length > this.#maxEntries || this.#bytes > this.#maxBytes)) this.#evict();
  }

  /** Forgets everything: continuity restarts at `position` (refetch-all, generation change). */
  reset(position: FramePosition): void {
    this.#records = [];
    this.#start = 0;
    this.#bytes = 0;
    this.#floor = position;
    this.#floorShared = false;
    this.#floorEvicted = false;
    this.#head = position;
  }

  /**
   * Whether {@link since} returns every record a client at `after` has not seen.
   *
   * @example history.coverage(parsePosition(lastEventId))
   */
  coverage(after: FramePosition): HistoryCoverage {
    if (after.generation !== this.#head.generation) return { covered: false, reason: 'generation-changed' };
    if (after.frame > this.#head.frame) return { covered: false, reason: 'position-ahead' };
    if (after.frame > this.#floor.frame) return { covered: true };
    if (after.frame === this.#floor.frame && !this.#floorShared) return { covered: true };
    return { covered: false, reason: 'position-behind-history' };
  }

  /** Records a client at `after` may not have seen, oldest first. Check {@link coverage} first. */
  *since(after: FramePosition): Iterable<HistoryRecord> {
    let first = this.#records.length;
    while (first > this.#start && this.#records[first - 1]!.position.frame >= after.frame) first--;
    for (let i = first; i < this.#records.length; i++) {
      const record = this.#records[i]!;
      if (record.position.frame > after.frame || record.sharesFrame) yield record;
    }
  }

  #evict(): void {
    const record = this.#records[this.#start]!;
    this.#start++;
    this.#bytes -= record.bytes;
    this.#floor = record.position;
    this.#floorShared = record.sharesFrame;
    this.#floorEvicted = true;
    if (this.#start > 1024 && this.#start * 2 > this.#records.length) {
      this.#records = this.#records.slice(this.#start);
      this.#start = 0;
    }
  }
}
