import type { FramePosition } from '../db/database-contract.ts';

/**
 * How long a query waits for the replica to reach what the hub announced before it is served
 * from what the replica has (stale-read-recovery.ts then makes clients refetch). Normally the
 * sync a hint started ends within milliseconds; a second covers a slow one on a loaded machine
 * without stalling every read for long when the primary is unreachable.
 */
export const ANNOUNCED_WAIT_MS = 1_000;

/**
 * The position a query must read at or past: what the client asked for (`minFrame`, its own
 * writes), raised to what the live hub has already announced when the replica is behind it.
 *
 * Changes can be announced before this replica has them (db-core publishes a write's change-log
 * rows at the primary's acknowledgement, and peers publish the rows a sync hint carries). A client
 * that refetches because of such an event must not read older data and take it for the new state,
 * whatever its client library sends; so every query waits for the replica to reach the hub's
 * position first. Usually that is already the case and nothing waits.
 *
 * @example readFloor(parsePositionId('g:7'), hub.position, db.position())
 */
export function readFloor(
  requested: FramePosition | undefined,
  announced: FramePosition,
  replica: FramePosition,
): FramePosition | undefined {
  const hubAhead = announced.generation === replica.generation && announced.frame > replica.frame;
  if (!hubAhead) return requested;
  if (requested === undefined) return announced;
  if (requested.generation !== announced.generation || requested.frame >= announced.frame) return requested;
  return announced;
}
