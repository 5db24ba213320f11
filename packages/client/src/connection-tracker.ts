import type { TRPCWebSocketClient } from '@trpc/client';
import {
  type ConnectionEvent,
  type ConnectionSnapshot,
  type ConnectionState,
  INITIAL_CONNECTION,
  nextConnectionState,
} from './connection-state.ts';

/**
 * The observable home of the connection-state machine, shaped for `useSyncExternalStore`.
 *
 * @example
 * const tracker = new ConnectionTracker();
 * tracker.subscribe(() => console.log(tracker.getState()));
 * tracker.dispatch({ type: 'socket-open' });
 */
export class ConnectionTracker {
  #snapshot: ConnectionSnapshot = INITIAL_CONNECTION;
  readonly #listeners = new Set<() => void>();
  /** When the state last changed, for "reconnecting for 3 s" displays. */
  #since = Date.now();

  readonly getSnapshot = (): ConnectionSnapshot => this.#snapshot;
  readonly getState = (): ConnectionState => this.#snapshot.state;

  get since(): number {
    return this.#since;
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  dispatch(event: ConnectionEvent): void {
    const next = nextConnectionState(this.#snapshot, event);
    if (next === this.#snapshot) return;
    if (next.state !== this.#snapshot.state) this.#since = Date.now();
    this.#snapshot = next;
    for (const listener of this.#listeners) listener();
  }
}

/**
 * Feeds a tRPC WebSocket client's connection state (and the browser's online/offline events,
 * where there is a browser) into a tracker. Returns the function that stops listening.
 * `onSocketLost` runs when an open socket closes, before the tracker says reconnecting.
 *
 * @example const stop = trackWebSocketClient(wsClient, tracker, () => registry.connectionLost());
 */
export function trackWebSocketClient(
  wsClient: TRPCWebSocketClient,
  tracker: ConnectionTracker,
  onSocketLost: () => void,
): () => void {
  let open = false;
  const subscription = wsClient.connectionState.subscribe({
    next(state) {
      if (state.state === 'pending') {
        open = true;
        tracker.dispatch({ type: 'socket-open' });
        return;
      }
      if (open) onSocketLost();
      open = false;
      tracker.dispatch({ type: state.state === 'idle' ? 'socket-closed' : 'socket-connecting' });
    },
  });
  const target = typeof window === 'undefined' ? undefined : window;
  const offline = () => tracker.dispatch({ type: 'browser-offline' });
  const online = () => tracker.dispatch({ type: 'browser-online' });
  target?.addEventListener('offline', offline);
  target?.addEventListener('online', online);
  if (target !== undefined && !target.navigator.onLine) offline();
  return () => {
    subscription.unsubscribe();
    target?.removeEventListener('offline', offline);
    target?.removeEventListener('online', online);
  };
}
