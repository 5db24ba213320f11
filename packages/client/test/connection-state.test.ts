import { describe, expect, it } from 'vitest';
import {
  type ConnectionEvent,
  type ConnectionSnapshot,
  INITIAL_CONNECTION,
  nextConnectionState,
} from '../src/connection-state.ts';

function run(...events: ConnectionEvent['type'][]): ConnectionSnapshot {
  return events.reduce((s, type) => nextConnectionState(s, { type } as ConnectionEvent), INITIAL_CONNECTION);
}

describe('connection state machine', () => {
  it('starts connecting and is live only after the server acknowledges the subscription', () => {
    expect(INITIAL_CONNECTION.state).toBe('connecting');
    expect(run('socket-open').state).toBe('connecting');
    expect(run('socket-open', 'subscription-acknowledged').state).toBe('live');
  });

  it('ignores an acknowledgement that arrives without an open socket', () => {
    expect(run('subscription-acknowledged').state).toBe('connecting');
  });

  it('reports reconnecting after a live socket closes, and live again after a new acknowledgement', () => {
    const lost = run('socket-open', 'subscription-acknowledged', 'socket-closed');
    expect(lost.state).toBe('reconnecting');
    expect(run('socket-open', 'subscription-acknowledged', 'socket-closed', 'socket-connecting').state).toBe(
      'reconnecting',
    );
    expect(
      run(
        'socket-open',
        'subscription-acknowledged',
        'socket-closed',
        'socket-open',
        'subscription-acknowledged',
      ).state,
    ).toBe('live');
  });

  it('stays connecting while a first connection keeps failing', () => {
    expect(run('socket-connecting', 'socket-closed', 'socket-connecting').state).toBe('connecting');
  });

  it('is offline while the browser is offline and returns to the socket state afterwards', () => {
    expect(run('socket-open', 'subscription-acknowledged', 'browser-offline').state).toBe('offline');
    expect(run('socket-open', 'subscription-acknowledged', 'browser-offline', 'browser-online').state).toBe(
      'live',
    );
  });

  it('is offline for good once the client is closed', () => {
    const closed = run('socket-open', 'subscription-acknowledged', 'client-closed');
    expect(closed.state).toBe('offline');
    expect(nextConnectionState(closed, { type: 'socket-open' })).toBe(closed);
  });

  it('returns the same snapshot object when nothing changes, so subscribers are not woken', () => {
    const live = run('socket-open', 'subscription-acknowledged');
    expect(nextConnectionState(live, { type: 'browser-online' })).toEqual(live);
  });
});
