import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { HubStream, LiveHub, SLOW_CLIENT_CLOSE_CODE } from '../src/index.ts';
import { waitForSocketCapacity } from '../src/live/backpressure.ts';

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
  it('coalesces a stalled client into one refetch-all once its socket drains', async () => {
    const hub = new LiveHub({ initialPosition: { generation: g, frame: 0 } });
    hub.register('s', 'q', readSet);
    const stream = hub.open('s', { canSee: () => true });
    stream.take(); // the ack
    for (let frame = 1; frame <= 1000; frame++) {
      hub.publish({
        type: 'changes',
        changeSet: { generation: g, frame, changes: [{ table: 'orders', op: 'update', rowid: frame }] },
      });
    }
    // Coalescing bounds memory regardless of how far behind the client is.
    expect(stream.pending).toBe(1);
    const socket = fakeSocket(10_000_000);
    const waiting = waitForSocketCapacity(
      socket as unknown as WebSocket,
      stream,
      { maxBufferedBytes: 1024, slowClientGraceMs: 60_000, pollMs: 1 },
      undefined,
      () => undefined,
    );
    socket.bufferedAmount = 0;
    expect(await waiting).toBe(true);
    expect(stream.take()).toMatchObject({ type: 'refetch-all', position: { frame: 1000 } });
  });

  it('disconnects a client that stays over the cap beyond the grace period', async () => {
    const stream = new HubStream(
      's',
      () => true,
      () => undefined,
    );
    stream.push({ type: 'live', position: { generation: g, frame: 1 } });
    const socket = fakeSocket(10_000_000);
    let cut = 0;
    const ok = await waitForSocketCapacity(
      socket as unknown as WebSocket,
      stream,
      { maxBufferedBytes: 1024, slowClientGraceMs: 0, pollMs: 1 },
      undefined,
      () => cut++,
    );
    expect(ok).toBe(false);
    expect(cut).toBe(1);
    expect(socket.closedWith).toBe(SLOW_CLIENT_CLOSE_CODE);
  });
});
