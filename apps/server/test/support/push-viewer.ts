import { PushedResults } from '@liveframe/client';
import type { LiveEventData } from '@liveframe/server';
import { createTRPCUntypedClient, httpLink } from '@trpc/client';
import superjson from 'superjson';
import { connectLiveClient, type LiveClient } from './live-client.ts';
import { atOrAfter } from './model-checker/positions.ts';

/** A live query a viewer mounts: its key, procedure path and input. */
export interface ViewedQuery {
  readonly key: string;
  readonly path: string;
  readonly input: unknown;
}

/** One result a viewer received in a `results` event. */
export interface PushedPayload {
  readonly key: string;
  readonly data: string;
  readonly at: string;
}

interface Held {
  readonly query: ViewedQuery;
  /** Canonical JSON of the value held, and the position it is known current at. */
  json: string | undefined;
  at: string | undefined;
  /** Bumped by every fetch and every applied push: only the newest fetch's answer lands. */
  seq: number;
}

/**
 * The `data` of a pushed result; these clients never ask for patches, so a patch is a server bug.
 */
export function dataOf(result: { readonly key: string } & ({ data: string } | { patch: unknown })): string {
  if (!('data' in result))
    throw new Error(`${result.key}: a patch was pushed to a client that asked for none`);
  return result.data;
}

/** JSON with object keys sorted, so results compare whatever the key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

/**
 * A push-mode client written from PROTOCOL.md: subscribes with `delivery: 'push'`, fetches each
 * query itself (HTTP, under its own token), registers it with `since`, refetches what `stale` and
 * `invalidate` name, applies pushed results unless what it holds is newer, and records every
 * pushed payload and every protocol anomaly (a key's `at` going backwards).
 */
export class PushViewer implements AsyncDisposable {
  readonly name: string;
  readonly token: string;
  readonly client: LiveClient;
  readonly http: ReturnType<typeof createTRPCUntypedClient>;
  readonly held = new Map<string, Held>();
  /** Keys the server refused (e.g. FORBIDDEN_TABLE for an analyst). */
  readonly refused = new Map<string, string>();
  readonly pushed: PushedPayload[] = [];
  readonly anomalies: string[] = [];
  lastEventId: string | undefined;
  resultsEvents = 0;
  /** Results that came as patches. */
  patched = 0;
  fetches = 0;
  readonly #lastAt = new Map<string, string>();
  readonly #inFlight = new Set<Promise<unknown>>();
  #acked: (() => void) | undefined;
  /** With patches: the real client's decoder (@liveframe/client), which keeps the patch bases. */
  readonly #decoder: PushedResults | undefined;

  constructor(options: { name: string; token: string; wsUrl: string; url: string; patches?: boolean }) {
    this.name = options.name;
    this.#decoder = options.patches === true ? new PushedResults() : undefined;
    this.token = options.token;
    this.client = connectLiveClient(options.wsUrl, { token: options.token });
    this.http = createTRPCUntypedClient({
      links: [
        httpLink({
          url: `${options.url}/trpc`,
          transformer: superjson,
          headers: { authorization: `Bearer ${options.token}` },
        }),
      ],
    });
    // Events are handled as they arrive (no queue to drain).
    this.client.events.push = (event) => this.#onEvent(event.id, event.data);
  }

  /** Subscribes in push mode and resolves at the ack (or rejects at the deadline). */
  async subscribe(deadlineMs = 10_000): Promise<void> {
    const acked = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${this.name}: no ack within ${deadlineMs} ms`)),
        deadlineMs,
      );
      this.#acked = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.client.subscribe(undefined, 'push', { patches: this.#decoder !== undefined });
    await acked;
  }

  /** Fetches, then registers with `since` = the last event id before the fetch; refetches if stale. */
  async mount(query: ViewedQuery): Promise<boolean> {
    if (this.held.has(query.key) || this.refused.has(query.key)) return this.held.has(query.key);
    const since = this.lastEventId;
    const entry: Held = { query, json: undefined, at: undefined, seq: 0 };
    this.held.set(query.key, entry);
    try {
      const { stale } = await this.client.trpc.live.update.mutate({
        subscriptionId: this.client.subscriptionId,
        add: [{ key: query.key, path: query.path, input: query.input as never, since: since ?? null }],
      });
      // Fetched after registering: any change after `since` is pushed or named in `stale`.
      await this.#fetch(entry, since);
      if (stale.includes(query.key)) await this.#fetch(entry, this.lastEventId);
      return true;
    } catch (error) {
      this.held.delete(query.key);
      this.refused.set(query.key, String(error));
      return false;
    }
  }

  /** What `query` returns now for this viewer (HTTP, its own token). */
  async fresh(query: ViewedQuery): Promise<string> {
    return canonicalJson(await this.http.query(query.path, query.input));
  }

  /** Resolves once no fetch is in flight. */
  async drained(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.drained();
    await this.client.close();
  }

  #fetch(entry: Held, at: string | undefined): Promise<void> {
    const seq = ++entry.seq;
    this.fetches++;
    const request = this.http.query(entry.query.path, entry.query.input).then((value) => {
      if (entry.seq !== seq || this.held.get(entry.query.key) !== entry) return;
      entry.json = canonicalJson(value);
      entry.at = at;
    });
    this.#inFlight.add(request);
    const done = () => this.#inFlight.delete(request);
    request.then(done, done);
    return request;
  }

  #onEvent(id: string, data: LiveEventData): void {
    this.lastEventId = id;
    if (data.type === 'live' || data.type === 'refetch-all') {
      this.#acked?.();
      this.#acked = undefined;
      if (data.type === 'refetch-all') for (const entry of this.held.values()) void this.#fetch(entry, id);
      return;
    }
    if (data.type !== 'results') {
      this.anomalies.push(`${this.name}: unexpected ${data.type} event on a push subscription`);
      return;
    }
    this.resultsEvents++;
    for (const pushed of data.results) {
      let value: unknown;
      if (this.#decoder === undefined) value = superjson.parse(dataOf(pushed));
      else {
        const decoded = this.#decoder.decode(pushed, data.position);
        if (decoded === undefined) {
          this.anomalies.push(
            `${this.name}: ${pushed.key} patched on base ${'base' in pushed ? pushed.base : '?'} it does not hold`,
          );
          continue;
        }
        value = decoded.value;
        if ('patch' in pushed) this.patched++;
      }
      // Payloads are recorded whole (as superjson text) whichever way they came.
      const result = { key: pushed.key, at: pushed.at ?? data.position, data: superjson.stringify(value) };
      this.pushed.push(result);
      const last = this.#lastAt.get(result.key);
      if (last !== undefined && !atOrAfter(result.at, last)) {
        this.anomalies.push(`${this.name}: ${result.key} pushed at ${result.at} after ${last}`);
      }
      this.#lastAt.set(result.key, result.at);
      const entry = this.held.get(result.key);
      if (entry === undefined) {
        this.anomalies.push(`${this.name}: pushed ${result.key}, which it never registered`);
        continue;
      }
      if (entry.at !== undefined && !atOrAfter(result.at, entry.at)) continue; // held data is newer
      entry.seq++; // a fetch in flight may have read older data
      entry.json = canonicalJson(value);
      entry.at = result.at;
    }
    for (const key of data.invalidate) {
      const entry = this.held.get(key);
      if (entry !== undefined) void this.#fetch(entry, id);
    }
  }
}

/** Polls `done` (yielding to the event loop) until it holds or the deadline passes. */
export async function until(deadline: number, done: () => boolean | Promise<boolean>): Promise<boolean> {
  while (!(await done())) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return true;
}
