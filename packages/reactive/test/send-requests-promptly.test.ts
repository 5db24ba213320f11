import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import { initTRPC } from '@trpc/server';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { sendRequestsPromptly } from '../src/index.ts';

const t = initTRPC.create();
const asNumber = (value: unknown): number => {
  if (typeof value !== 'number') throw new Error('expected a number');
  return value;
};
const router = t.router({
  echo: t.procedure.input(asNumber).query(({ input }) => input),
  double: t.procedure.input(asNumber).mutation(({ input }) => input * 2),
  count: t.procedure.input(asNumber).subscription(async function* ({ input }) {
    for (let i = 1; i <= input; i++) yield i;
  }),
});

const http = createServer();
const wss = new WebSocketServer({ server: http });
const handler = applyWSSHandler({ wss, router });
let url = '';

beforeAll(async () => {
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}`;
});

afterAll(async () => {
  handler.broadcastReconnectNotification();
  for (const socket of wss.clients) socket.terminate();
  await new Promise((resolve) => wss.close(resolve));
  await new Promise((resolve) => http.close(resolve));
});

/** A client whose socket records each outgoing message and whether a marker timer had fired by then. */
function recordingClient(prompt: boolean) {
  const sent: Array<{ data: unknown; afterTimer: boolean }> = [];
  let timerFired = true;
  class RecordingWebSocket extends WebSocket {
    override send(data: string): void {
      sent.push({ data: JSON.parse(data), afterTimer: timerFired });
      super.send(data);
    }
  }
  const wsClient = createWSClient({
    url,
    WebSocket: RecordingWebSocket as unknown as typeof globalThis.WebSocket,
  });
  const patched = prompt ? sendRequestsPromptly(wsClient) : false;
  const trpc = createTRPCClient<typeof router>({ links: [wsLink({ client: wsClient })] });
  return {
    trpc,
    wsClient,
    patched,
    sent,
    /** Starts the marker: a `setTimeout(0)` scheduled before the requests that follow. */
    armTimer() {
      sent.length = 0;
      timerFired = false;
      setTimeout(() => {
        timerFired = true;
      }, 0);
    },
  };
}

describe('sendRequestsPromptly', () => {
  it('sends each request as it is made, before a timer scheduled ahead of it fires', async () => {
    const client = recordingClient(true);
    expect(client.patched).toBe(true);
    // The first request opens the socket through tRPC's own path.
    expect(await client.trpc.echo.query(1)).toBe(1);

    client.armTimer();
    const query = client.trpc.echo.query(2);
    // On the wire before this task ends, so before any render a state change schedules.
    expect(client.sent).toEqual([
      {
        afterTimer: false,
        data: expect.objectContaining({ method: 'query', params: expect.objectContaining({ path: 'echo' }) }),
      },
    ]);
    const mutation = client.trpc.double.mutate(3);
    expect(await Promise.all([query, mutation])).toEqual([2, 6]);
    expect(client.sent).toHaveLength(2);
    expect(client.sent[1]).toEqual({
      afterTimer: false,
      data: expect.objectContaining({
        method: 'mutation',
        params: expect.objectContaining({ path: 'double' }),
      }),
    });
    await client.wsClient.close();
  });

  it("control: tRPC's own client waits for a timer before sending", async () => {
    const client = recordingClient(false);
    expect(await client.trpc.echo.query(1)).toBe(1);
    client.armTimer();
    expect(await client.trpc.echo.query(2)).toBe(2);
    expect(client.sent).toHaveLength(1);
    expect(client.sent[0]?.afterTimer).toBe(true);
    await client.wsClient.close();
  });

  it('keeps subscriptions, errors and reconnect-free sequences working', async () => {
    const client = recordingClient(true);
    expect(sendRequestsPromptly(client.wsClient)).toBe(true);
    const values: number[] = [];
    await new Promise<void>((resolve, reject) => {
      client.trpc.count.subscribe(3, {
        onData: (value) => values.push(value),
        onError: reject,
        onComplete: () => resolve(),
      });
    });
    expect(values).toEqual([1, 2, 3]);
    await expect(client.trpc.echo.query('x' as unknown as number)).rejects.toThrow(/expected a number/);
    for (let i = 0; i < 20; i++) expect(await client.trpc.double.mutate(i)).toBe(i * 2);
    await client.wsClient.close();
  });

  it('answers a request made right before close(), which waits for it, instead of leaving it hanging', async () => {
    const client = recordingClient(true);
    expect(await client.trpc.echo.query(1)).toBe(1);
    const pending = client.trpc.echo.query(2);
    const closed = client.wsClient.close();
    expect(await pending).toBe(2);
    await closed;
  });

  it('leaves an object without the expected internals untouched', () => {
    const notAClient = { batchSend: () => () => {} };
    expect(sendRequestsPromptly(notAClient)).toBe(false);
    expect(sendRequestsPromptly({})).toBe(false);
  });
});
