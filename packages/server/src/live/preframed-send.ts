import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import * as wsModule from 'ws';

/**
 * One outgoing text message shared by many sockets: its UTF-8 payload and, built on first use,
 * the complete WebSocket frame (header + payload) a server sends for it uncompressed. The frame is
 * built once per distinct message, so a fan-out to N sockets frames it once instead of N times.
 */
export class OutgoingMessage {
  readonly payload: Buffer;
  #frame: Buffer | undefined;

  constructor(payload: Buffer) {
    this.payload = payload;
  }

  /** FIN + text opcode, unmasked, no RSV bits: the bytes of `ws.send(payload, SEND_OPTIONS)`. */
  get frame(): Buffer {
    if (this.#frame === undefined) this.#frame = buildTextFrame(this.payload);
    return this.#frame;
  }
}

/** How every live event is sent: a text frame, never compressed, never fragmented. */
export const SEND_OPTIONS = { binary: false, compress: false, fin: true } as const;

/**
 * The parts of ws 8's WebSocket and Sender that decide whether a frame may bypass the Sender
 * (lib/websocket.js, lib/sender.js). Not in ws's public API, so every field is read defensively:
 * a ws version with another shape simply never takes the fast path.
 */
interface WsInternals {
  readonly _isServer?: unknown;
  readonly _socket?: Socket | null;
  readonly _extensions?: Record<string, unknown>;
  readonly _sender?: {
    /** 0 = DEFAULT; otherwise deflating or reading a Blob, and later sends queue behind it. */
    readonly _state?: unknown;
    readonly _queue?: { readonly length: number };
    /** False while a fragmented message (fin: false) is in progress. */
    readonly _firstFragment?: unknown;
  } | null;
}

/** ws's frame builder (`Sender.frame`, exported but untyped), so the header bytes are ws's own. */
const senderFrame = (
  wsModule as unknown as {
    Sender?: {
      frame?: (data: Buffer, options: Record<string, unknown>) => Buffer[];
    };
  }
).Sender?.frame;

function buildTextFrame(payload: Buffer): Buffer {
  if (senderFrame === undefined) throw new Error('ws.Sender.frame is not available');
  const parts = senderFrame(payload, {
    fin: true,
    mask: false,
    opcode: 0x01,
    readOnly: true,
    rsv1: false,
  });
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

/**
 * Whether a complete pre-built frame may be written straight to the TCP socket, exactly where
 * ws's Sender would have written it: a server socket (frames unmasked), open, without
 * permessage-deflate (the frame is uncompressed), with nothing queued in its Sender (a frame
 * being deflated or a Blob being read would otherwise be overtaken) and no fragmented message in
 * progress. `bufferedAmount` stays right: ws computes it from the TCP socket's own write queue
 * plus its Sender's queued bytes, and this write lands in the former as ws's own would.
 */
function canWriteFrame(socket: WebSocket): boolean {
  if (senderFrame === undefined || socket.readyState !== socket.OPEN) return false;
  const internals = socket as unknown as WsInternals;
  const sender = internals._sender;
  return (
    internals._isServer === true &&
    internals._socket != null &&
    internals._extensions !== undefined &&
    internals._extensions['permessage-deflate'] === undefined &&
    sender != null &&
    sender._state === 0 &&
    sender._queue?.length === 0 &&
    sender._firstFragment === true
  );
}

/**
 * Sends `message` as one text frame: the shared pre-built frame as one write when that is safe
 * (see {@link canWriteFrame}), else through `ws.send`, which frames it for this socket. Either
 * way the client receives the same bytes.
 *
 * @example sendMessage(socket, new OutgoingMessage(Buffer.from('{"id":1}')));
 */
export function sendMessage(socket: WebSocket, message: OutgoingMessage): void {
  if (canWriteFrame(socket)) (socket as unknown as WsInternals)._socket!.write(message.frame);
  else socket.send(message.payload, SEND_OPTIONS);
}
