/**
 * What the user should be told about the live connection:
 * - `connecting`: first connection attempt, nothing live yet;
 * - `live`: the socket is open and the server acknowledged the live subscription;
 * - `reconnecting`: was live (or tried), lost the socket, retrying with backoff;
 * - `offline`: the browser reports no network, or the client was closed; no retries run.
 */
export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'offline';

/** Inputs of the connection-state machine, from the WebSocket client and the browser. */
export type ConnectionEvent =
  | { readonly type: 'socket-connecting' }
  | { readonly type: 'socket-open' }
  | { readonly type: 'subscription-acknowledged' }
  | { readonly type: 'socket-closed' }
  | { readonly type: 'browser-offline' }
  | { readonly type: 'browser-online' }
  | { readonly type: 'client-closed' };

/** The machine's memory: the visible state plus what it needs to pick the next one. */
export interface ConnectionSnapshot {
  readonly state: ConnectionState;
  /** Whether the socket is currently open. */
  readonly socketOpen: boolean;
  /** Whether the server acknowledged the live subscription on the current socket. */
  readonly acknowledged: boolean;
  /** Whether we were ever live: distinguishes a first `connecting` from a `reconnecting`. */
  readonly wasLive: boolean;
  /** Whether the browser says it has no network. */
  readonly browserOffline: boolean;
  /** Set once the client is closed for good; later events change nothing. */
  readonly closed: boolean;
}

/** Where every client starts. */
export const INITIAL_CONNECTION: ConnectionSnapshot = {
  state: 'connecting',
  socketOpen: false,
  acknowledged: false,
  wasLive: false,
  browserOffline: false,
  closed: false,
};

type Flags = Omit<ConnectionSnapshot, 'state'>;

/**
 * The pure transition function of the connection state. Kept free of timers and sockets so
 * every transition is unit-tested; the connection tracker feeds it real events.
 *
 * @example
 * let s = INITIAL_CONNECTION;
 * s = nextConnectionState(s, { type: 'socket-open' });
 * s = nextConnectionState(s, { type: 'subscription-acknowledged' }); // s.state === 'live'
 */
export function nextConnectionState(current: ConnectionSnapshot, event: ConnectionEvent): ConnectionSnapshot {
  if (current.closed) return current;
  const flags = nextFlags(current, event);
  if (flags === current) return current;
  const state: ConnectionState = flags.closed
    ? 'offline'
    : flags.browserOffline
      ? 'offline'
      : flags.socketOpen && flags.acknowledged
        ? 'live'
        : flags.wasLive
          ? 'reconnecting'
          : 'connecting';
  return { ...flags, state };
}

function nextFlags(current: ConnectionSnapshot, event: ConnectionEvent): Flags | ConnectionSnapshot {
  switch (event.type) {
    case 'socket-connecting':
    case 'socket-closed':
      return { ...current, socketOpen: false, acknowledged: false };
    case 'socket-open':
      // An open socket is not live yet: events are only safe once the server says from which
      // frame it streams, otherwise a change between snapshot and subscription could be missed.
      return { ...current, socketOpen: true, acknowledged: false };
    case 'subscription-acknowledged':
      if (!current.socketOpen) return current;
      return { ...current, acknowledged: true, wasLive: true };
    case 'browser-offline':
      return { ...current, browserOffline: true };
    case 'browser-online':
      return { ...current, browserOffline: false };
    case 'client-closed':
      return { ...current, socketOpen: false, acknowledged: false, closed: true };
  }
}
