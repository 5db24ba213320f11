import superjson from 'superjson';
import type { WebSocket } from 'ws';
import { z } from 'zod';

/** The `live.events` input, validated exactly like the procedure does (live-router.ts). */
export const liveEventsInputSchema = z.object({
  subscriptionId: z.string().regex(/^[A-Za-z0-9_-]{8,128}$/),
  lastEventId: z.string().max(300).nullish(),
  /** `push`: changed results are sent (`results` events); `invalidate` (default): refetch instructions. */
  delivery: z.enum(['invalidate', 'push']).optional(),
  /** Push delivery: results may come as patches against the last one pushed (PROTOCOL.md). */
  patches: z.boolean().optional(),
});

/** The tRPC envelope fields of one `live.events` subscription request on a socket. */
export interface SubscriptionRequest {
  /** The request `id`, JSON-encoded, as tRPC echoes it in every response. */
  readonly idJson: string;
  readonly jsonrpc: boolean;
  readonly lastEventId: string | null;
  /** The client sent `subscription.stop` for it before it started. */
  stopped: boolean;
}

/** Unclaimed requests kept per socket (a well-behaved client has one or two). */
const MAX_PENDING_PER_SOCKET = 32;

const LIVE_EVENTS_PATH = 'live.events';

/**
 * Remembers, per WebSocket, the tRPC request ids of its `live.events` subscriptions, so events
 * can be written to the socket directly (see live-delivery.ts) with the envelope tRPC would have
 * written. tRPC does not hand a procedure its request id; this listener reads the same messages
 * tRPC reads, before tRPC does (it is attached before the connection is handed to tRPC), and a
 * subscription claims its id when it starts. Requests are queued per subscriptionId in arrival
 * order, the order in which tRPC starts them; a claim must match the started input
 * (`lastEventId`) and must not have been stopped, else the caller falls back to tRPC's own path.
 */
export class SubscriptionRequests {
  readonly #pending = new WeakMap<WebSocket, Map<string, SubscriptionRequest[]>>();
  readonly #bySocketId = new WeakMap<WebSocket, Map<string, SubscriptionRequest>>();
  readonly #untracked = new WeakSet<WebSocket>();

  /** Starts listening on a socket; call before tRPC's handler attaches its own listener. */
  watch(socket: WebSocket): void {
    socket.on('message', (raw, isBinary) => {
      if (isBinary) return;
      const text = raw.toString();
      // Cheap filter: only subscription starts and stops are of interest.
      if (!text.includes('"subscription')) return;
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        return;
      }
      for (const message of Array.isArray(parsed) ? parsed : [parsed]) this.#observe(socket, message);
    });
  }

  /**
   * The request of the `live.events` subscription for `subscriptionId` that is starting now on
   * `socket`, or undefined (then the caller falls back to yielding through tRPC).
   */
  claim(
    socket: WebSocket,
    input: { subscriptionId: string; lastEventId?: string | null | undefined },
  ): SubscriptionRequest | undefined {
    if (this.#untracked.has(socket)) return undefined;
    const queue = this.#pending.get(socket)?.get(input.subscriptionId);
    const request = queue?.shift();
    if (queue?.length === 0) this.#pending.get(socket)?.delete(input.subscriptionId);
    if (request === undefined) return undefined;
    this.#bySocketId.get(socket)?.delete(request.idJson);
    if (request.stopped || request.lastEventId !== (input.lastEventId ?? null)) return undefined;
    return request;
  }

  #observe(socket: WebSocket, message: unknown): void {
    if (typeof message !== 'object' || message === null) return;
    const { id, method, params, jsonrpc } = message as Record<string, unknown>;
    if (typeof id !== 'number' && typeof id !== 'string') return;
    const idJson = JSON.stringify(id);
    if (method === 'subscription.stop') {
      const request = this.#bySocketId.get(socket)?.get(idJson);
      if (request !== undefined) request.stopped = true;
      return;
    }
    if (
      method !== 'subscription' ||
      this.#untracked.has(socket) ||
      typeof params !== 'object' ||
      params === null
    )
      return;
    const { path, input, lastEventId } = params as Record<string, unknown>;
    if (path !== LIVE_EVENTS_PATH) return;
    let value: unknown;
    try {
      value = input === undefined ? undefined : superjson.deserialize(input as never);
    } catch {
      return;
    }
    // tRPC merges params.lastEventId into an object input the same way.
    if (lastEventId !== undefined && typeof value === 'object' && value !== null) {
      value = { ...value, lastEventId };
    }
    const valid = liveEventsInputSchema.safeParse(value);
    if (!valid.success) return;
    const subscriptionId = valid.data.subscriptionId;
    let pending = this.#pending.get(socket);
    if (pending === undefined) {
      pending = new Map();
      this.#pending.set(socket, pending);
    }
    let queue = pending.get(subscriptionId);
    if (queue === undefined) {
      queue = [];
      pending.set(subscriptionId, queue);
    }
    let ids = this.#bySocketId.get(socket);
    if (ids === undefined) {
      ids = new Map();
      this.#bySocketId.set(socket, ids);
    }
    if (ids.size >= MAX_PENDING_PER_SOCKET) {
      // A client flooding subscription starts loses direct delivery (tRPC's path serves it).
      this.#untracked.add(socket);
      this.#pending.delete(socket);
      this.#bySocketId.delete(socket);
      return;
    }
    const request: SubscriptionRequest = {
      idJson,
      jsonrpc: jsonrpc === '2.0',
      lastEventId: valid.data.lastEventId ?? null,
      stopped: false,
    };
    queue.push(request);
    ids.set(idJson, request);
  }
}
