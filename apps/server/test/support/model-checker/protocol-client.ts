import { sendRequestsPromptly } from '@liveframe/reactive';
import { createTRPCUntypedClient, createWSClient, wsLink } from '@trpc/client';
import superjson from 'superjson';
import { WebSocket } from 'ws';
import { atOrAfter, laterOf } from './positions.ts';
import { canonical, type QueryInput } from './query-shapes.ts';

/**
 * How results reach clients: `invalidate` (events name queries, the client refetches) or `push`
 * (`results` events carry the new results; {@link ProtocolClient.onResultEvent}).
 */
export type DeliveryMode = 'invalidate' | 'push';

type LiveEvent =
  | { type: 'live'; position: string; subscriptionId: string; registered: number; digest?: unknown }
  | { type: 'invalidate'; position: string; queries: string[]; tables: string[] }
  | { type: 'refetch-all'; position: string; reason: string }
  | {
      type: 'results';
      position: string;
      /** `at` omitted: the event's `position`. */
      results: { key: string; data: string; at?: string }[];
      invalidate: string[];
    }
  | { type: string; position: string; [field: string]: unknown };

export interface MountedQuery {
  readonly key: string;
  readonly shape: string;
  readonly input: QueryInput;
  /**
   * The last result applied: the answer of the newest fetch issued, or a pushed result. `at` is
   * the position it is known current at (a fetch's `minFrame`, a push's `at`).
   */
  result:
    | { value: unknown; json: string; minFrame: string | undefined; at: string | undefined; pushed: boolean }
    | undefined;
  /** Bumped by every fetch; only the newest fetch's answer is applied. */
  fetchSeq: number;
  /** Data missing or known outdated and no fetch could be sent (disconnected, failed). */
  needsFetch: boolean;
  lastError: string | undefined;
}

/** Something the client saw that the protocol forbids (positions backwards, unexpected events). */
export interface ProtocolAnomaly {
  readonly client: string;
  readonly message: string;
}

export interface ServerEndpoint {
  readonly name: string;
  readonly wsUrl: string;
}

interface Connection {
  readonly server: ServerEndpoint;
  readonly wsClient: ReturnType<typeof createWSClient>;
  readonly trpc: ReturnType<typeof createTRPCUntypedClient>;
  readonly subscription: { unsubscribe(): void };
  readonly generation: number;
  /** The `at` of the last result pushed per key on this connection (must never go backwards). */
  readonly pushedAt: Map<string, string>;
  /** The first event arrived (its registration work may still be running). */
  firstEventSeen: boolean;
  /** The registration after the first event is done. */
  firstEventDone: boolean;
}

interface QueryRef {
  readonly key: string;
  readonly path: string;
  readonly input: QueryInput;
  readonly since: string | null;
}

type RegistrationDigest = (keys: readonly string[]) => unknown;
let digestFunction: RegistrationDigest | undefined | null = null;

/** reactive's `registrationDigest`, when this build has it (looked up dynamically). */
async function loadDigest(): Promise<RegistrationDigest | undefined> {
  if (digestFunction === null) {
    const reactive = (await import('@liveframe/reactive')) as Record<string, unknown>;
    const candidate = reactive.registrationDigest;
    digestFunction = typeof candidate === 'function' ? (candidate as RegistrationDigest) : undefined;
  }
  return digestFunction;
}

export function queryKey(shape: string, input: QueryInput): string {
  return `${shape}:${canonical(input)}`;
}

/**
 * A client written from PROTOCOL.md's rules only: one tRPC ws client per connection, a stable
 * subscriptionId, `lastEventId`, the `$liveframe` minFrame envelope, and the registration rules
 * after every first event. Every refetch is tracked so the harness can wait until it drained.
 */
export class ProtocolClient {
  readonly name: string;
  readonly token: string;
  readonly subscriptionId: string;
  readonly mounted = new Map<string, MountedQuery>();
  readonly anomalies: ProtocolAnomaly[] = [];
  readonly #delivery: DeliveryMode;
  readonly #log: (line: string) => void;
  #connection: Connection | undefined;
  #generation = 0;
  #lastServer: ServerEndpoint | undefined;
  lastEventId: string | undefined;
  highestFrame: string | undefined;
  /** What the client believes `heldOn` holds for its subscription (from acknowledged updates). */
  readonly #held = new Set<string>();
  #heldOn: ServerEndpoint | undefined;
  #registrationUnknown = false;
  readonly #inFlight = new Set<Promise<unknown>>();
  #updates: Promise<void> = Promise.resolve();
  readonly #firstEvents: { position: string; type: string }[] = [];
  /** Fetches sent (mounts, stale answers, invalidations, refetch-all, repairs). */
  fetches = 0;
  /** Pushed results applied / skipped because the held data was newer. */
  pushedApplied = 0;
  pushedSkipped = 0;
  /** Keys a `results` event asked to refetch (too large to push). */
  pushInvalidations = 0;

  constructor(options: {
    name: string;
    token: string;
    subscriptionId: string;
    delivery: DeliveryMode;
    log: (line: string) => void;
  }) {
    this.name = options.name;
    this.token = options.token;
    this.subscriptionId = options.subscriptionId;
    this.#delivery = options.delivery;
    this.#log = options.log;
  }

  get connected(): boolean {
    return this.#connection !== undefined;
  }

  get server(): ServerEndpoint | undefined {
    return this.#connection?.server ?? this.#lastServer;
  }

  /** Connected, its first event handled, nothing in flight. */
  get idle(): boolean {
    return this.#connection?.firstEventDone === true && this.#inFlight.size === 0;
  }

  /** Opens a new socket to `server` and subscribes (with `lastEventId` when it has one). */
  connect(server: ServerEndpoint): void {
    if (this.#connection !== undefined) throw new Error(`${this.name} is already connected`);
    const generation = ++this.#generation;
    const wsClient = createWSClient({
      url: server.wsUrl,
      WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
      connectionParams: { token: this.token },
      retryDelayMs: () => 50,
    });
    sendRequestsPromptly(wsClient);
    const trpc = createTRPCUntypedClient({ links: [wsLink({ client: wsClient, transformer: superjson })] });
    const input = {
      subscriptionId: this.subscriptionId,
      ...(this.lastEventId === undefined ? {} : { lastEventId: this.lastEventId }),
      ...(this.#delivery === 'push' ? { delivery: 'push' } : {}),
    };
    const subscription = trpc.subscription('live.events', input, {
      onData: (event: unknown) => {
        const { id, data } = event as { id: string; data: LiveEvent };
        this.#onEvent(generation, id, data);
      },
      onError: (error: unknown) => this.#anomaly(`subscription error: ${String(error)}`),
    });
    this.#connection = {
      server,
      wsClient,
      trpc,
      subscription,
      generation,
      pushedAt: new Map(),
      firstEventSeen: false,
      firstEventDone: false,
    };
    this.#lastServer = server;
  }

  /** Closes the socket; the server keeps the registrations for its grace period. */
  async disconnect(): Promise<void> {
    const connection = this.#connection;
    if (connection === undefined) return;
    this.#connection = undefined;
    connection.subscription.unsubscribe();
    await connection.wsClient.close();
  }

  /** Mount = fetch + `live.update add` (with `since` = lastEventId at the fetch's start). */
  mount(shape: string, input: QueryInput): string {
    const key = queryKey(shape, input);
    if (this.mounted.has(key)) return key;
    const entry: MountedQuery = {
      key,
      shape,
      input,
      result: undefined,
      fetchSeq: 0,
      needsFetch: true,
      lastError: undefined,
    };
    this.mounted.set(key, entry);
    if (this.#connection?.firstEventDone !== true) return key; // registered after the next first event
    const since = this.lastEventId;
    this.#fetch(entry);
    this.#update({ add: [this.#ref(entry, since)] });
    return key;
  }

  /** Unmount = `live.update remove`. */
  unmount(key: string): void {
    if (!this.mounted.delete(key)) return;
    if (this.#connection?.firstEventDone === true) this.#update({ remove: [key] });
  }

  /** Re-sends the complete set (`replace: true`), as the client does after a first event. */
  resendRegistration(): void {
    if (this.#connection?.firstEventDone !== true) return;
    this.#update({
      replace: true,
      add: [...this.mounted.values()].map((q) => this.#ref(q, this.lastEventId)),
    });
  }

  /** Runs a mutation on the current connection; remembers its frame (read-your-writes). */
  async mutate(path: string, input: unknown): Promise<string> {
    const connection = this.#connection;
    if (connection === undefined) throw new Error(`${this.name} is not connected`);
    const { frame } = (await connection.trpc.mutation(path, input)) as { frame: string };
    this.highestFrame = laterOf(this.highestFrame, frame);
    return frame;
  }

  /** Refetches `key` outside the protocol (the harness repairing a reported divergence). */
  refetchNow(key: string): void {
    const entry = this.mounted.get(key);
    if (entry !== undefined) this.#fetch(entry);
  }

  /** Resolves once nothing is in flight (fetches, updates), or rejects at the deadline. */
  async drained(deadline: number): Promise<void> {
    for (;;) {
      if (this.#inFlight.size === 0) return;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.name}: ${this.#inFlight.size} requests still in flight`);
      await Promise.race([
        Promise.allSettled([...this.#inFlight]),
        new Promise((resolve) => setTimeout(resolve, left).unref()),
      ]);
    }
  }

  /**
   * `push` delivery: a `results` event carries the new result of each key (superjson text) read
   * at `at`; it replaces the held data unless that is known current at a later position, and
   * supersedes a fetch in flight (which may have read older data; every later change of the
   * query's result is pushed again). Keys in `invalidate` (too large to push) are refetched.
   * `connection` is undefined for an event of a socket already closed: its data is still applied,
   * its refetches wait for the next connection. Returns whether the event was a `results` event.
   */
  onResultEvent(data: LiveEvent, connection: Connection | undefined): boolean {
    if (data.type !== 'results') return false;
    if (this.#delivery !== 'push') {
      this.#anomaly('results event on an invalidate subscription');
      return true;
    }
    const { results, invalidate } = data as Extract<LiveEvent, { type: 'results'; invalidate: string[] }>;
    for (const wire of results) {
      const pushed = { ...wire, at: wire.at ?? data.position };
      const entry = this.mounted.get(pushed.key);
      if (entry === undefined) continue; // unmounted meanwhile
      if (connection !== undefined) {
        const last = connection.pushedAt.get(pushed.key);
        if (last !== undefined && !atOrAfter(pushed.at, last)) {
          this.#anomaly(`pushed result of ${pushed.key} went backwards: at ${pushed.at} after ${last}`);
        }
        connection.pushedAt.set(pushed.key, pushed.at);
      }
      const held = entry.result?.at;
      if (held !== undefined && !atOrAfter(pushed.at, held)) {
        this.pushedSkipped++;
        continue;
      }
      const value = superjson.parse(pushed.data);
      entry.fetchSeq++; // a fetch in flight must not overwrite this
      entry.result = { value, json: canonical(value), minFrame: undefined, at: pushed.at, pushed: true };
      entry.needsFetch = false;
      entry.lastError = undefined;
      this.pushedApplied++;
    }
    for (const key of invalidate) {
      const entry = this.mounted.get(key);
      if (entry === undefined) continue;
      this.pushInvalidations++;
      if (connection === undefined) entry.needsFetch = true;
      else this.#fetch(entry);
    }
    return true;
  }

  #ref(entry: MountedQuery, since: string | undefined): QueryRef {
    return { key: entry.key, path: `mc.${entry.shape}`, input: entry.input, since: since ?? null };
  }

  #anomaly(message: string): void {
    this.anomalies.push({ client: this.name, message });
    this.#log(`${this.name} ANOMALY ${message}`);
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    this.#inFlight.add(promise);
    const done = () => this.#inFlight.delete(promise);
    promise.then(done, done);
    return promise;
  }

  /** Fetches with the `$liveframe` envelope carrying the highest frame the client knows. */
  #fetch(entry: MountedQuery): void {
    const connection = this.#connection;
    const seq = ++entry.fetchSeq;
    if (connection === undefined) {
      entry.needsFetch = true;
      return;
    }
    const minFrame = laterOf(this.highestFrame, this.lastEventId);
    const input = minFrame === undefined ? entry.input : { $liveframe: { minFrame }, input: entry.input };
    this.fetches++;
    const request = connection.trpc.query(`mc.${entry.shape}`, input).then(
      (value) => {
        if (this.mounted.get(entry.key) !== entry || entry.fetchSeq !== seq) return;
        entry.result = { value, json: canonical(value), minFrame, at: minFrame, pushed: false };
        entry.needsFetch = false;
        entry.lastError = undefined;
      },
      (error: unknown) => {
        if (this.mounted.get(entry.key) !== entry || entry.fetchSeq !== seq) return;
        entry.needsFetch = true;
        // A fetch cut by our own disconnect is refetched on the next connection.
        if (this.#connection === connection) entry.lastError = String(error);
      },
    );
    this.#track(request);
  }

  /** `live.update` calls are sent one after another, in the order the client made them. */
  #update(change: { add?: QueryRef[]; remove?: string[]; replace?: boolean }): void {
    const connection = this.#connection;
    if (connection === undefined) return;
    const run = async () => {
      if (this.#connection !== connection) {
        this.#registrationUnknown = true;
        return;
      }
      try {
        const result = (await connection.trpc.mutation('live.update', {
          subscriptionId: this.subscriptionId,
          ...change,
        })) as { stale: string[]; frame: string; position: string };
        if (change.replace === true || this.#heldOn !== connection.server) this.#held.clear();
        for (const key of change.remove ?? []) this.#held.delete(key);
        for (const ref of change.add ?? []) this.#held.add(ref.key);
        this.#heldOn = connection.server;
        for (const key of result.stale) {
          const entry = this.mounted.get(key);
          if (entry !== undefined) this.#fetch(entry);
        }
      } catch (error) {
        // Cut by a disconnect: what the server holds is unknown, re-register in full next time.
        this.#registrationUnknown = true;
        if (this.#connection === connection) this.#anomaly(`live.update failed: ${String(error)}`);
      }
    };
    const next = this.#updates.then(run);
    this.#updates = next;
    this.#track(next);
  }

  #onEvent(generation: number, id: string, data: LiveEvent): void {
    const connection = this.#connection;
    const current = connection !== undefined && connection.generation === generation;
    this.#log(
      `${this.name} EVENT gen=${generation}/${connection?.generation} first=${connection?.firstEventDone} ${id} ${JSON.stringify(data)}`,
    );
    if (
      this.lastEventId !== undefined &&
      !atOrAfter(id, this.lastEventId) &&
      current &&
      connection.firstEventDone
    ) {
      this.#anomaly(`position went backwards: ${id} after ${this.lastEventId}`);
    }
    this.lastEventId = id;
    if (!current) {
      // An event of a socket we already closed: act on it at the next connection.
      if (this.onResultEvent(data, undefined)) return;
      if (data.type === 'invalidate') {
        for (const key of (data as { queries: string[] }).queries) {
          const entry = this.mounted.get(key);
          if (entry !== undefined) entry.needsFetch = true;
        }
      } else {
        for (const entry of this.mounted.values()) entry.needsFetch = true;
        this.#registrationUnknown = true;
      }
      return;
    }
    if (!connection.firstEventSeen) {
      connection.firstEventSeen = true;
      this.#firstEvent(connection, id, data);
      return;
    }
    if (this.onResultEvent(data, connection)) return;
    if (data.type === 'invalidate') {
      for (const key of (data as { queries: string[] }).queries) {
        const entry = this.mounted.get(key);
        if (entry !== undefined) this.#fetch(entry);
      }
    } else if (data.type === 'refetch-all') {
      for (const entry of this.mounted.values()) this.#fetch(entry);
      this.#update({ replace: true, add: [...this.mounted.values()].map((q) => this.#ref(q, id)) });
    } else {
      this.#anomaly(`unexpected ${data.type} event after the first`);
    }
  }

  /**
   * After every first event (PROTOCOL.md, live.update): re-register everything unless the server
   * says it holds as many as the client registered with it, on the same server, digest agreeing.
   */
  #firstEvent(connection: Connection, id: string, data: LiveEvent): void {
    this.#firstEvents.push({ position: id, type: data.type });
    const run = async () => {
      if (this.#connection !== connection) return;
      let skip = false;
      if (data.type === 'live') {
        const registered = (data as { registered: number }).registered;
        const sameServer = this.#heldOn === connection.server && !this.#registrationUnknown;
        let digestAgrees = true;
        if ('digest' in data) {
          const digest = await loadDigest();
          if (digest !== undefined) digestAgrees = data.digest === digest([...this.#held].sort());
        }
        skip = sameServer && registered === this.#held.size && digestAgrees;
        this.#log(
          `${this.name} live ack on ${connection.server.name} registered=${registered} held=${this.#held.size}` +
            ` sameServer=${sameServer} -> ${skip ? 'skip re-registration' : 're-register'}`,
        );
      } else if (data.type !== 'refetch-all') {
        this.#anomaly(`first event is ${data.type}`);
      }
      this.#registrationUnknown = false;
      connection.firstEventDone = true;
      if (data.type === 'refetch-all') for (const entry of this.mounted.values()) entry.needsFetch = true;
      if (skip) {
        // The server kept what it holds; bring it up to date with what changed while away.
        const add = [...this.mounted.values()].filter((q) => !this.#held.has(q.key));
        const remove = [...this.#held].filter((key) => !this.mounted.has(key));
        for (const entry of this.mounted.values()) if (entry.needsFetch) this.#fetch(entry);
        if (add.length > 0 || remove.length > 0) {
          this.#update({ add: add.map((q) => this.#ref(q, id)), remove });
        }
      } else {
        for (const entry of this.mounted.values()) if (entry.needsFetch) this.#fetch(entry);
        this.#update({ replace: true, add: [...this.mounted.values()].map((q) => this.#ref(q, id)) });
      }
    };
    const next = this.#updates.then(run);
    this.#updates = next;
    this.#track(next);
  }
}
