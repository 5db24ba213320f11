import { type FramePosition, tryParsePosition } from '@liveframe/reactive';

/** Whether `a` is at or after `b` (same generation); false across generations. */
export function atOrAfter(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return b === undefined;
  const pa = tryParsePosition(a);
  const pb = tryParsePosition(b);
  return pa !== null && pb !== null && pa.generation === pb.generation && pa.frame >= pb.frame;
}

/** The later of two positions; a different generation replaces (PROTOCOL.md: positions). */
export function laterOf(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  const pa = tryParsePosition(a);
  const pb = tryParsePosition(b);
  if (pa === null || pb === null || pa.generation !== pb.generation) return b;
  return pb.frame > pa.frame ? b : a;
}

export function reached(position: FramePosition, target: string): boolean {
  const t = tryParsePosition(target);
  return t !== null && position.generation === t.generation && position.frame >= t.frame;
}
