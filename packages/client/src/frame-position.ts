/**
 * A replication frame within one primary generation: the single clock of liveframe (DESIGN.md
 * "Frames are the clock"). Frames of different generations are not comparable.
 *
 * @example const position: FramePosition = { generation: 'g-7f3a', frame: 42 };
 */
export interface FramePosition {
  readonly generation: string;
  readonly frame: number;
}

/**
 * True when data read at `data` already includes every change up to `event`, so a refetch for
 * that event would return the same thing. A different generation is never "at or past".
 *
 * @example isAtOrPast({ generation: 'g', frame: 9 }, { generation: 'g', frame: 7 }) // true
 */
export function isAtOrPast(data: FramePosition, event: FramePosition): boolean {
  return data.generation === event.generation && data.frame >= event.frame;
}

/**
 * The later of two positions. When generations differ the newer one is `b` by convention: the
 * caller passes what it just observed, and a primary that restarted only moves forward in time.
 *
 * @example laterPosition({ generation: 'g', frame: 3 }, { generation: 'g', frame: 5 }).frame // 5
 */
export function laterPosition(a: FramePosition | null, b: FramePosition): FramePosition {
  if (a === null || a.generation !== b.generation) return b;
  return a.frame >= b.frame ? a : b;
}

/**
 * Parses `"<generation>:<frame>"` (the server's tracked event id). Returns null for anything
 * else, so a garbled id can only lead to a refetch, never to a skipped one.
 *
 * @example parseFramePosition('g-7f3a:42') // { generation: 'g-7f3a', frame: 42 }
 */
export function parseFramePosition(id: string): FramePosition | null {
  const colon = id.lastIndexOf(':');
  if (colon < 0) return null;
  const digits = id.slice(colon + 1);
  if (!/^(0|[1-9][0-9]*)$/.test(digits)) return null;
  const frame = Number(digits);
  return Number.isSafeInteger(frame) ? { generation: id.slice(0, colon), frame } : null;
}

/** Formats a position as the server's event id; inverse of {@link parseFramePosition}. */
export function formatFramePosition(position: FramePosition): string {
  return `${position.generation}:${position.frame}`;
}
