import type { LiveSubscription, SubscriptionEvent } from '@liveframe/reactive';
import type { WebSocket } from 'ws';

export interface BackpressureOptions {
  readonly maxBufferedBytes: number;
  readonly slowClientGraceMs: number;
  /** How often to look at `bufferedAmount` while a client is over the cap. */
  readonly pollMs?: number;
}

/** WebSocket close code for a client cut off because it did not read its socket. */
export const SLOW_CLIENT_CLOSE_CODE = 4008;

/**
 * Waits while a subscription's socket is over `maxBufferedBytes`. Meanwhile nothing is taken from
 * the subscription, whose bounded buffer (reactive) absorbs the changes: memory stays bounded
 * however long the client stalls. A socket that stays over the cap longer than
 * `slowClientGraceMs` is closed (4008). Resolves `false` when the client is gone.
 */
export async function waitForSocketCapacity(
  socket: WebSocket,
  options: BackpressureOptions,
  signal: AbortSignal | undefined,
  onCut: () => void,
): Promise<boolean> {
  const since = Date.now();
  while (socket.bufferedAmount > options.maxBufferedBytes) {
    if (signal?.aborted || socket.readyState !== socket.OPEN) return false;
    if (Date.now() - since > options.slowClientGraceMs) {
      onCut();
      socket.close(SLOW_CLIENT_CLOSE_CODE, 'client too slow');
      // close() waits for the peer's close frame, which a stalled client never reads.
      setTimeout(() => socket.terminate(), 1000).unref();
      return false;
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 25));
  }
  return signal?.aborted !== true && socket.readyState === socket.OPEN;
}

/**
 * After a stall: `held` plus everything the subscription buffered meanwhile become one
 * refetch-all at the newest position (PROTOCOL.md "Backpressure"), so a client that fell behind
 * refetches once instead of replaying a backlog.
 */
export async function collapseToRefetchAll(
  subscription: LiveSubscription,
  held: SubscriptionEvent,
): Promise<SubscriptionEvent> {
  let position = held.position;
  for (let pending = subscription.buffered; pending > 0; pending--) {
    const next = await subscription.next();
    if (next.done) break;
    position = next.value.position;
  }
  return { type: 'refetch-all', position, reason: 'client fell behind (socket buffer over limit)' };
}
