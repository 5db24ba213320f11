import { ReactiveError } from './reactive-error.ts';

/**
 * Frames are the clock (DESIGN.md): a replication frame within one primary generation. db-core
 * produces positions; reactive compares them (the same structure, see change-set.ts).
 */
export interface FramePosition {
  readonly generation: string;
  readonly frame: number;
}

/**
 * Orders two positions: negative if `a` is before `b`, 0 if equal, positive if after, and `null`
 * when they belong to different generations (callers must then refetch all, never guess).
 *
 * @example comparePositions({ generation: 'g', frame: 1 }, { generation: 'g', frame: 2 }) // -1
 */
export function comparePositions(a: FramePosition, b: FramePosition): -1 | 0 | 1 | null {
  if (a.generation !== b.generation) return null;
  return a.frame < b.frame ? -1 : a.frame > b.frame ? 1 : 0;
}

/**
 * True when data read at `data` already reflects every change up to `event`, so a client need not
 * refetch for that event (DESIGN.md "Live queries"). Different generations are never "at or past".
 *
 * @example isAtOrPast({ generation: 'g', frame: 9 }, { generation: 'g', frame: 7 }) // true
 */
export function isAtOrPast(data: FramePosition, event: FramePosition): boolean {
  const order = comparePositions(data, event);
  return order !== null && order >= 0;
}

/**
 * Serializes a position as `"<generation>:<frame>"`, the tracked() event id of subscriptions.
 * Generations may themselves contain ':'; parsing splits at the last one.
 *
 * @example formatPosition({ generation: 'g-7f3a', frame: 42 }) // 'g-7f3a:42'
 */
export function formatPosition(position: FramePosition): string {
  assertFrame(position.frame);
  return `${position.generation}:${position.frame}`;
}

/**
 * Parses an id made by {@link formatPosition} (e.g. tRPC's `lastEventId`). Throws
 * `ReactiveError('INVALID_POSITION')` for anything else, so a garbled id cannot resume silently.
 *
 * @example parsePosition('g-7f3a:42') // { generation: 'g-7f3a', frame: 42 }
 */
export function parsePosition(id: string): FramePosition {
  const colon = id.lastIndexOf(':');
  const digits = colon < 0 ? '' : id.slice(colon + 1);
  if (colon < 0 || !/^(0|[1-9][0-9]*)$/.test(digits)) {
    throw new ReactiveError('INVALID_POSITION', `not a frame position id: ${JSON.stringify(id)}`);
  }
  const frame = Number(digits);
  if (!Number.isSafeInteger(frame)) {
    throw new ReactiveError('INVALID_POSITION', `frame out of range in position id: ${JSON.stringify(id)}`);
  }
  return { generation: id.slice(0, colon), frame };
}

/**
 * Like {@link parsePosition} but returns `null` instead of throwing; convenient for an optional
 * `lastEventId` where a bad id should simply lead to a refetch-all.
 *
 * @example tryParsePosition('nonsense') // null
 */
export function tryParsePosition(id: string): FramePosition | null {
  try {
    return parsePosition(id);
  } catch {
    return null;
  }
}

function assertFrame(frame: number): void {
  if (!Number.isSafeInteger(frame) || frame < 0) {
    throw new ReactiveError('INVALID_POSITION', `frame must be a non-negative safe integer, got ${frame}`);
  }
}
