import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { OutgoingMessage, SEND_OPTIONS, sendMessage } from '../src/live/preframed-send.ts';

/** A ws server on port 0 whose next connection's server-side socket is handed out. */
async function wsServer(options: { perMessageDeflate?: boolean } = {}) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', ...options });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  servers.push(wss);
  return {
    port: (wss.address() as { port: number }).port,
    nextSocket: () => new Promise<WebSocket>((resolve) => wss.once('connection', resolve)),
  };
}
const servers: WebSocketServer[] = [];
afterEach(async () => {
  for (const wss of servers.splice(0)) {
    for (const client of wss.clients) client.terminate();
    await new Promise((resolve) => wss.close(resolve));
  }
});

/** A TCP client that completes the WebSocket handshake (no extensions) and keeps every byte after it. */
async function rawClient(port: number): Promise<{ socket: Socket; bytes: (n: number) => Promise<Buffer> }> {
  const socket = connect({ port, host: '127.0.0.1' });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.write(
    `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  const chunks: Buffer[] = [];
  let length = 0;
  let head = '';
  let wake: (() => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    if (head !== undefined && !head.endsWith('\r\n\r\n')) {
      // The 101 response comes first, byte-wise until its blank line.
      let i = 0;
      while (i < chunk.length && !head.endsWith('\r\n\r\n')) head += String.fromCharCode(chunk[i++]!);
      chunk = chunk.subarray(i);
    }
    chunks.push(chunk);
    length += chunk.length;
    wake?.();
  });
  const bytes = async (n: number) => {
    while (!head.endsWith('\r\n\r\n') || length < n) await new Promise<void>((resolve) => (wake = resolve));
    return Buffer.concat(chunks).subarray(0, n);
  };
  await bytes(0);
  return { socket, bytes };
}

const payloads = {
  'short (7-bit length)': Buffer.from('{"id":1,"result":{"type":"data"}}'),
  'medium (16-bit length)': Buffer.from(`{"data":"${'é'.repeat(200)}"}`),
  'long (64-bit length)': Buffer.from(JSON.stringify({ data: 'x'.repeat(70_000) })),
};

describe('pre-framed sends', () => {
  it.each(Object.entries(payloads))(
    'writes the bytes ws.send writes, in one write: %s',
    async (_, payload) => {
      const server = await wsServer();
      const accepted = server.nextSocket();
      const client = await rawClient(server.port);
      const socket = await accepted;
      const send = vi.spyOn(socket, 'send');
      const message = new OutgoingMessage(payload);

      sendMessage(socket, message);
      expect(send).not.toHaveBeenCalled(); // the fast path, not ws.send
      send.mockRestore();
      socket.send(payload, SEND_OPTIONS);

      const both = await client.bytes(message.frame.length * 2);
      // Buffer.equals: a deep toEqual over 70 KB is needlessly slow.
      expect(message.frame.subarray(message.frame.length - payload.length).equals(payload)).toBe(true);
      expect(both.subarray(0, message.frame.length).equals(message.frame)).toBe(true);
      expect(both.subarray(message.frame.length).equals(message.frame)).toBe(true);
      client.socket.destroy();
    },
  );

  it('falls back to ws.send on a permessage-deflate socket, and the client reads the message', async () => {
    const server = await wsServer({ perMessageDeflate: true });
    const accepted = server.nextSocket();
    const client = new WebSocket(`ws://127.0.0.1:${server.port}`, { perMessageDeflate: true });
    const received = new Promise<string>((resolve) =>
      client.once('message', (data) => resolve(String(data))),
    );
    const socket = await accepted;
    expect(socket.extensions).toContain('permessage-deflate');
    const send = vi.spyOn(socket, 'send');

    sendMessage(socket, new OutgoingMessage(payloads['long (64-bit length)']));
    expect(send).toHaveBeenCalledTimes(1);
    expect(await received).toBe(payloads['long (64-bit length)'].toString());
    client.close();
  });

  it('keeps order behind a message still queued in ws (falls back while its Sender is busy)', async () => {
    const server = await wsServer();
    const accepted = server.nextSocket();
    const client = new WebSocket(`ws://127.0.0.1:${server.port}`);
    const messages: string[] = [];
    const two = new Promise<void>((resolve) =>
      client.on('message', (data) => {
        messages.push(String(data));
        if (messages.length === 2) resolve();
      }),
    );
    const socket = await accepted;
    // A Blob is read asynchronously: until then ws queues later sends behind it.
    socket.send(new Blob(['first']), { binary: false });
    sendMessage(socket, new OutgoingMessage(Buffer.from('second')));
    await two;
    expect(messages).toEqual(['first', 'second']);
    client.close();
  });

  it('counts pre-framed bytes the peer has not read in bufferedAmount, as ws.send does', async () => {
    const server = await wsServer();
    const message = new OutgoingMessage(Buffer.alloc(1024 * 1024, 'a'));
    const total = 100 * message.frame.length;
    for (const viaPreframe of [true, false]) {
      const accepted = server.nextSocket();
      const client = await rawClient(server.port);
      client.socket.pause(); // never reads: the kernel buffers fill up, the rest waits in the process
      const socket = await accepted;
      for (let i = 0; i < 100; i++) {
        if (viaPreframe) sendMessage(socket, message);
        else socket.send(message.payload, SEND_OPTIONS);
      }
      await new Promise((resolve) => setImmediate(resolve));
      // What the kernel took (at most a few tens of MB on loopback) is no longer counted.
      expect(socket.bufferedAmount).toBeGreaterThan(total / 2);
      expect(socket.bufferedAmount).toBeLessThanOrEqual(total);
      client.socket.destroy();
    }
  });

  it('leaves a closing socket to ws (which writes nothing after its close frame)', async () => {
    const server = await wsServer();
    const accepted = server.nextSocket();
    const client = await rawClient(server.port);
    const socket = await accepted;
    socket.close(1000, 'bye');
    expect(socket.readyState).toBe(socket.CLOSING);
    const send = vi.spyOn(socket, 'send');
    sendMessage(socket, new OutgoingMessage(Buffer.from('late')));
    expect(send).toHaveBeenCalledTimes(1);
    client.socket.destroy();
  });
});
