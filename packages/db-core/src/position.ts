/**
 * Frames are the clock (see DESIGN.md). A position is a replication frame within one primary
 * generation; frames of different generations are not comparable, and a generation change
 * means "refetch all", never a wait.
 *
 * @example const p: FramePosition = { generation: 'g-7f3a', frame: 42 };
 */
export interface FramePosition {
  readonly generation: string;
  readonly frame: number;
}
