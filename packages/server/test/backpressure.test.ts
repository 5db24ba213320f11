import { LiveQueryHub } from '@liveframe/reactive';
import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { SLOW_CLIENT_CLOSE_CODE } from '../src/index.ts';
import { collapseToRefetchAll, waitForSocketCapacity } from '../src/live/backpressure.ts';

function fakeSocket(buffered: number) {
  const socket = {
    OPEN: 1,
    readyState: 1,
    bufferedAmount: buffered,
    closedWith: undefined as number | undefined,
    close(code: number) {
      socket.closedWith = code;
      socket.readyState = 3;
    },
    terminate() {},
  };
  return socket;
}

const g = 'g';
const readSet = { tables: new Map([['orders', { kind: 'all' as const }]]) };

describe('backpressure', () => {
  it('bounds a stalled subscription and collapses it into one refetch-all once its socket drains', async () => {
    const hub = new LiveQueryHub({ position: { generation: g, frame: 0 }, bufferSize: 16 });
    hub.registerQuery({ subscriberId: 's', key: 'q', readSet });
    const subscription = hub.subscribe({ subscriberId: 's' });
    const ack = await subscription.next(); // the ack
    expect(ack.value).toMatchObject({ type: 'live' });
    for (let frame = 1; frame <= 1000; frame++) {
      hub.publish({
        type: 'changes',
        changeSet: { generation: g, frame, changes: [{ table: 'orders', op: 'update', rowid: frame }] },
      });
    }
    // The bounded buffer caps memory regardless of how far behind the client is.
    expect(subscription.buffered).toBeLessThanOrEqual(16);
    const socket = fakeSocket(10_000_000);
    const waiting = waitForSocketCapacity(
      socket as unknown as WebSocket,
      { maxBufferedBytes: 1024, slowClientGraceMs: 60_000, pollMs: 1 },
      undefined,
      () => undefined,
    );
    socket.bufferedAmount = 0;
    expect(await waiting).toBe(true);
    const held = await subscription.next();
    const collapsed = await collapseToRefetchAll(subscription, held.value!);
    expect(collapsed).toMatchObject({ type: 'refetch-all', position: { frame: 1000 } });
    expect(subscription.buffered).toBe(0);
  });

  it('disconnects a client that stays over the cap beyond the grace period', async () => {
    const socket = fakeSocket(10_000_000);
    let cut = 0;
    const ok = await waitForSocketCapacity(
      socket as unknown as WebSocket,
      { maxBufferedBytes: 1024, slowClientGraceMs: 0, pollMs: 1 },
      undefined,
      () => cut++,
    );
    expect(ok).toBe(false);
    expect(cut).toBe(1);
    expect(socket.closedWith).toBe(SLOW_CLIENT_CLOSE_CODE);
  });
});
