import type { WebSocket } from 'ws';
import type { HubStream } from './live-hub.ts';

export interface BackpressureOptions {
  readonly maxBufferedBytes: number;
  readonly slowClientGraceMs: number;
  /** How often to look at `bufferedAmount` while a client is over the cap. */
  readonly pollMs?: number;
}

/** WebSocket close code for a client cut off because it did not read its socket. */
export const SLOW_CLIENT_CLOSE_CODE = 4008;

/**
 * Holds a subscription's next event while its socket is over `maxBufferedBytes`: the queued
 * events coalesce meanwhile (bounded memory), and become one refetch-all once the socket drains.
 * A socket that stays over the cap longer than `slowClientGraceMs` is closed. Resolves `false`
 * when the client is gone.
 */
export async function waitForSocketCapacity(
  socket: WebSocket | undefined,
  stream: HubStream,
  options: BackpressureOptions,
  signal: AbortSignal | undefined,
  onCut: () => void,
): Promise<boolean> {
  if (socket === undefined || socket.bufferedAmount <= options.maxBufferedBytes) return true;
  const since = Date.now();
  while (socket.bufferedAmount > options.maxBufferedBytes) {
    if (signal?.aborted || stream.closed || socket.readyState !== socket.OPEN) return false;
    if (Date.now() - since > options.slowClientGraceMs) {
      onCut();
      socket.close(SLOW_CLIENT_CLOSE_CODE, 'client too slow');
      // close() waits for the peer's close frame, which a stalled client never reads.
      setTimeout(() => socket.terminate(), 1000).unref();
      return false;
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 25));
  }
  stream.collapseToRefetchAll('client fell behind (socket buffer over limit)');
  return true;
}
