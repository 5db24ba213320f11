import type { CaptureEvent, ChangeOp, LiveSubscription, SubscriptionEvent } from '../../src/index.ts';

export const at = (frame: number, generation = 'g') => ({ generation, frame });

export function changes(
  frame: number,
  ...rows: readonly (readonly [table: string, rowid: number | null, op?: ChangeOp])[]
): CaptureEvent {
  return {
    type: 'changes',
    changeSet: {
      generation: 'g',
      frame,
      changes: rows.map(([table, rowid, op]) => ({ table, rowid, op: op ?? 'update' })),
    },
  };
}

/** Takes every buffered event without waiting (the queue resolves buffered events immediately). */
export async function drain(subscription: LiveSubscription): Promise<SubscriptionEvent[]> {
  const events: SubscriptionEvent[] = [];
  while (subscription.buffered > 0) {
    const result = await subscription.next();
    if (result.done === true) break;
    events.push(result.value);
  }
  return events;
}

/** Query and table order inside an invalidation is unspecified: sort for comparisons. */
export async function drainSorted(subscription: LiveSubscription): Promise<SubscriptionEvent[]> {
  return (await drain(subscription)).map((event) =>
    event.type === 'invalidate'
      ? { ...event, queries: [...event.queries].sort(), tables: [...event.tables].sort() }
      : event,
  );
}
