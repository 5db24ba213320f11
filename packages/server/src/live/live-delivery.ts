import type { LiveSubscription, SubscriptionEvent } from '@liveframe/reactive';
import superjson from 'superjson';
import type { WebSocket } from 'ws';
import type { ServerMetrics } from '../http/server-metrics.ts';
import { type BackpressureOptions, collapseToRefetchAll, waitForSocketCapacity } from './backpressure.ts';
import type { LiveEventData } from './live-event.ts';
import type { HeldRegistrations } from './live-sessions.ts';
import { formatPositionId } from './position-id.ts';
import { OutgoingMessage, sendMessage } from './preframed-send.ts';
import type { SubscriptionRequest } from './subscription-requests.ts';

/** The wire data of one subscription event (PROTOCOL.md `LiveEventData`). */
export function toWire(
  event: SubscriptionEvent,
  subscriptionId: string,
  held: HeldRegistrations,
): LiveEventData {
  const position = formatPositionId(event.position);
  switch (event.type) {
    case 'live':
      return { type: 'live', position, subscriptionId, registered: held.count, digest: held.digest };
    case 'invalidate':
      return {
        type: 'invalidate',
        position,
        queries: event.queries as string[],
        tables: event.tables as string[],
      };
    case 'refetch-all':
      return { type: 'refetch-all', position, reason: event.reason };
    case 'results':
      return {
        type: 'results',
        position,
        results: event.results.map((result) => {
          // `at` is left out when it is the event's position (nearly always): every byte of an
          // event is parsed by each of its subscribers.
          const at = formatPositionId(result.at);
          const when = at === position ? {} : { at };
          return 'data' in result
            ? { key: result.key, data: result.data, ...when }
            : { key: result.key, patch: result.patch, base: formatPositionId(result.base), ...when };
        }),
        invalidate: event.invalidate as string[],
      };
  }
}

/** Encoded bodies of results events, by event object: one object is shared by every subscriber that gets it. */
const resultBodies = new WeakMap<object, string>();
/** Encoded messages of results events, per request envelope, by event object. */
const resultMessages = new WeakMap<object, Map<string, OutgoingMessage>>();

/**
 * Serializes the `result` of a tracked subscription event exactly as tRPC's WebSocket adapter
 * does (superjson, then JSON), minus the request id: `"id":<pos>,"data":<superjson({id, data})>`.
 * Shared by every client that gets the same event, so it is computed once per distinct payload.
 */
function encodeResultBody(position: string, data: LiveEventData): string {
  return `"id":${JSON.stringify(position)},"data":${JSON.stringify(superjson.serialize({ id: position, data }))}`;
}

/** The full tRPC response message for one request: the envelope tRPC's `respond()` writes. */
export function encodeEventMessage(request: SubscriptionRequest, body: string): string {
  return `{"id":${request.idJson}${request.jsonrpc ? ',"jsonrpc":"2.0"' : ''},"result":{"type":"data",${body}}}`;
}

/**
 * Encoded events of the current position, keyed by content: a change that invalidates the same
 * query keys for 1,000 clients is serialized once, and its whole message (envelope included) is
 * encoded to UTF-8 and framed once per distinct request id, so every socket sends the same bytes (no
 * per-socket string concatenation or string→bytes conversion). Reset when the position moves on,
 * so it holds one publish's worth of distinct payloads at most.
 */
export class EventEncodingCache {
  #position = '';
  readonly #bodies = new Map<string, string>();
  /** body → (request envelope key → encoded message). */
  readonly #messages = new Map<string, Map<string, OutgoingMessage>>();
  /**
   * The last answer of {@link message}: in a fan-out consecutive sockets nearly always get the
   * same event for the same request id, and comparing a few fields is far cheaper per socket than
   * building the position id and lookup keys again.
   */
  #last: { event: SubscriptionEvent; request: SubscriptionRequest; message: OutgoingMessage } | undefined;

  body(event: SubscriptionEvent, subscriptionId: string, held: HeldRegistrations): string {
    const position = formatPositionId(event.position);
    if (event.type === 'live') return encodeResultBody(position, toWire(event, subscriptionId, held));
    if (event.type === 'results') {
      let body = resultBodies.get(event);
      if (body === undefined) {
        body = encodeResultBody(position, toWire(event, subscriptionId, held));
        resultBodies.set(event, body);
      }
      return body;
    }
    if (position !== this.#position) {
      this.#position = position;
      this.#bodies.clear();
      this.#messages.clear();
    }
    const key =
      event.type === 'invalidate'
        ? `i\u0000${event.queries.join('\u0001')}\u0000${event.tables.join('\u0001')}`
        : event.type === 'refetch-all'
          ? `r\u0000${event.reason}`
          : '';
    let body = this.#bodies.get(key);
    if (body === undefined) {
      body = encodeResultBody(position, toWire(event, subscriptionId, held));
      this.#bodies.set(key, body);
    }
    return body;
  }

  /**
   * The encoded message of `event` for `request`: shared by every request with the same id
   * (tRPC clients number their requests alike, so usually one buffer per publish).
   */
  message(
    event: SubscriptionEvent,
    request: SubscriptionRequest,
    subscriptionId: string,
    held: HeldRegistrations,
  ): OutgoingMessage {
    const last = this.#last;
    if (last !== undefined && sameEnvelope(last.request, request) && sameContent(last.event, event)) {
      return last.message;
    }
    const body = this.body(event, subscriptionId, held);
    if (event.type === 'live') return new OutgoingMessage(Buffer.from(encodeEventMessage(request, body)));
    if (event.type === 'results') {
      // Kept with the event object (shared by its subscribers), not in the per-position maps:
      // push subscriptions may never see another position change that would clear those.
      let byRequest = resultMessages.get(event);
      if (byRequest === undefined) {
        byRequest = new Map();
        resultMessages.set(event, byRequest);
      }
      const envelope = request.jsonrpc ? request.idJson : `${request.idJson}\u0000`;
      let message = byRequest.get(envelope);
      if (message === undefined) {
        message = new OutgoingMessage(Buffer.from(encodeEventMessage(request, body)));
        byRequest.set(envelope, message);
      }
      // The next socket of the sweep usually gets this very event under the same request id.
      this.#last = { event, request, message };
      return message;
    }
    let byRequest = this.#messages.get(body);
    if (byRequest === undefined) {
      byRequest = new Map();
      this.#messages.set(body, byRequest);
    }
    const envelope = request.jsonrpc ? request.idJson : `${request.idJson}\u0000`;
    let message = byRequest.get(envelope);
    if (message === undefined) {
      message = new OutgoingMessage(Buffer.from(encodeEventMessage(request, body)));
      byRequest.set(envelope, message);
    }
    this.#last = { event, request, message };
    return message;
  }
}

function sameEnvelope(a: SubscriptionRequest, b: SubscriptionRequest): boolean {
  return a === b || (a.idJson === b.idJson && a.jsonrpc === b.jsonrpc);
}

/** Whether two shared (non-`live`) events encode alike: the cache's content key, compared in place. */
function sameContent(a: SubscriptionEvent, b: SubscriptionEvent): boolean {
  if (a.type === 'results' || b.type === 'results') return a === b;
  if (a.position.frame !== b.position.frame || a.position.generation !== b.position.generation) return false;
  if (a.type === 'invalidate') {
    return b.type === 'invalidate' && sameStrings(a.queries, b.queries) && sameStrings(a.tables, b.tables);
  }
  return a.type === 'refetch-all' && b.type === 'refetch-all' && a.reason === b.reason;
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export interface DirectDeliveryOptions extends BackpressureOptions {
  readonly socket: WebSocket;
  readonly request: SubscriptionRequest;
  readonly subscription: LiveSubscription;
  readonly subscriptionId: string;
  readonly held: HeldRegistrations;
  readonly cache: EventEncodingCache;
  readonly metrics: ServerMetrics;
  readonly signal: AbortSignal | undefined;
}

/**
 * Delivers a live subscription's events straight to its socket, bypassing tRPC's per-event path
 * (an async-iteration chain with a promise race per event, plus superjson + JSON per client).
 * One pending `take()` per subscription: when the hub publishes, each subscriber's socket gets its
 * pre-encoded message in the publisher's own sweep, with no promise or microtask per socket. The bytes are the ones tRPC would have sent (same envelope, tracked
 * id = position), so clients cannot tell. Resolves when the subscription ends (client gone,
 * stopped, replaced, server closing).
 */
export function deliverDirectly(options: DirectDeliveryOptions): Promise<void> {
  const { socket, request, subscription, cache, metrics } = options;
  return new Promise<void>((resolve) => {
    const finish = () => {
      options.signal?.removeEventListener('abort', finish);
      resolve();
    };
    options.signal?.addEventListener('abort', finish, { once: true });
    if (options.signal?.aborted === true) return finish();
    const write = (event: SubscriptionEvent) => {
      // One shared, pre-framed message: a single write per socket (preframed-send.ts).
      sendMessage(socket, cache.message(event, request, options.subscriptionId, options.held));
      metrics.eventSent();
    };
    const onNext = (next: IteratorResult<SubscriptionEvent>): void => {
      // Runs inside the publisher's loop (take()): a failure here ends this delivery only.
      try {
        deliver(next);
      } catch {
        finish();
      }
    };
    const deliver = (next: IteratorResult<SubscriptionEvent>): void => {
      if (next.done || socket.readyState !== socket.OPEN) {
        finish();
        return;
      }
      if (socket.bufferedAmount > options.maxBufferedBytes) {
        // Rare path: wait for the socket to drain, then one refetch-all for everything missed.
        void (async () => {
          const writable = await waitForSocketCapacity(socket, options, options.signal, () =>
            metrics.slowClientCut(),
          );
          if (!writable) return finish();
          write(await collapseToRefetchAll(subscription, next.value));
          arm();
        })().catch(finish);
        return;
      }
      write(next.value);
      arm();
    };
    const arm = () => subscription.take(onNext);
    arm();
  });
}
