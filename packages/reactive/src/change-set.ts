import type { CaptureEvent } from '@liveframe/db-core';
import type { FramePosition } from './position.ts';

// The change-capture contract is db-core's; reactive uses its types only (DESIGN.md), never its runtime.
export type { CaptureEvent, ChangeOp, ChangeSet, TableChange } from '@liveframe/db-core';

/**
 * SQLite table names are case-insensitive; both read-sets and change sets go through this so that
 * `Users` and `users` meet in the same index slot.
 *
 * @example normalizeTableName('Users') // 'users'
 */
export function normalizeTableName(table: string): string {
  return table.toLowerCase();
}

/**
 * The position a capture event happened at.
 *
 * @example eventPosition({ type: 'changes', changeSet }) // { generation, frame }
 */
export function eventPosition(event: CaptureEvent): FramePosition {
  return event.type === 'changes'
    ? { generation: event.changeSet.generation, frame: event.changeSet.frame }
    : event.position;
}
