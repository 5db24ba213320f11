import type { FramePosition } from '@liveframe/reactive';
import { ServerError } from '../server-error.ts';

/**
 * Position ids on the wire: `"<generation>:<frame>"`, the same format as reactive's
 * `formatPosition`, used as tRPC tracked() ids, mutation `frame`s and `minFrame`.
 *
 * @example formatPositionId({ generation: 'g', frame: 42 }) // 'g:42'
 */
export function formatPositionId(position: FramePosition): string {
  return `${position.generation}:${position.frame}`;
}

/**
 * Parses a position id; throws `ServerError('INVALID_POSITION')` for anything else.
 *
 * @example parsePositionId('g:42') // { generation: 'g', frame: 42 }
 */
export function parsePositionId(id: string): FramePosition {
  const colon = id.lastIndexOf(':');
  const digits = colon < 0 ? '' : id.slice(colon + 1);
  const frame = Number(digits);
  if (colon < 0 || !/^(0|[1-9][0-9]{0,15})$/.test(digits) || !Number.isSafeInteger(frame)) {
    throw new ServerError('INVALID_POSITION', `not a frame position id: ${JSON.stringify(id.slice(0, 200))}`);
  }
  return { generation: id.slice(0, colon), frame };
}

/** Like {@link parsePositionId}, but `null` for a malformed id. */
export function tryParsePositionId(id: string): FramePosition | null {
  try {
    return parsePositionId(id);
  } catch {
    return null;
  }
}
