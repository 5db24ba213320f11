import type { Identity } from '../auth/identity.ts';
import type { FramePosition, ReadSet } from '../db/database-contract.ts';
import { ServerError } from '../server-error.ts';
import type { LiveHub } from './live-hub.ts';

/** One query a client registered: the key it names it by, and what it runs. */
export interface LiveQueryRef {
  readonly key: string;
  readonly path: string;
  readonly input?: unknown;
  readonly since?: string | null | undefined;
}

interface RegisteredQuery {
  readonly path: string;
  readonly input: unknown;
  readonly cacheKey: string;
}

interface Session {
  readonly id: string;
  readonly owner: Identity;
  readonly queries: Map<string, RegisteredQuery>;
  streams: number;
  expiry: NodeJS.Timeout | undefined;
}

interface CachedReadSet {
  readSet: Promise<ReadSet>;
  readonly identity: Identity;
  readonly path: string;
  readonly input: unknown;
  readonly users: Set<string>; // `${subscriptionId}\0${key}`
}

export interface LiveSessionsOptions {
  readonly hub: LiveHub;
  readonly derive: (identity: Identity, path: string, input: unknown) => Promise<ReadSet>;
  readonly isLiveQuery: (path: string) => boolean;
  readonly maxQueriesPerSubscription: number;
  readonly sessionGraceMs: number;
  readonly onError: (error: unknown) => void;
}

/**
 * The registrations of every live subscription on this server, keyed by the client's
 * `subscriptionId`: `live.update` adds and removes queries, whose read-sets are derived by
 * running them (cached by path + input + identity) and registered in the hub. A session outlives
 * its socket for `sessionGraceMs`, so a quick reconnect needs no re-registration. Read-sets of
 * invalidated queries are derived again, since what a query reads can depend on the data.
 */
export class LiveSessions {
  readonly #options: LiveSessionsOptions;
  readonly #sessions = new Map<string, Session>();
  readonly #cache = new Map<string, CachedReadSet>();
  readonly #rederive = new Set<string>();
  #rederiveScheduled = false;

  constructor(options: LiveSessionsOptions) {
    this.#options = options;
    options.hub.onMatch((subscriptionId, keys) => {
      const session = this.#sessions.get(subscriptionId);
      if (session === undefined) return;
      for (const key of keys) {
        const query = session.queries.get(key);
        if (query !== undefined) this.#rederive.add(query.cacheKey);
      }
      this.#scheduleRederive();
    });
  }

  get size(): number {
    return this.#sessions.size;
  }

  /** A live subscription stream started for this id (creates the session, checks its owner). */
  attach(subscriptionId: string, identity: Identity): number {
    const session = this.#session(subscriptionId, identity);
    session.streams++;
    if (session.expiry !== undefined) clearTimeout(session.expiry);
    session.expiry = undefined;
    return session.queries.size;
  }

  /** The stream ended; the registrations stay for the grace period. */
  detach(subscriptionId: string): void {
    const session = this.#sessions.get(subscriptionId);
    if (session === undefined) return;
    session.streams = Math.max(0, session.streams - 1);
    if (session.streams > 0) return;
    session.expiry = setTimeout(() => this.#drop(session), this.#options.sessionGraceMs);
    session.expiry.unref();
  }

  /**
   * Applies a `live.update`; returns the keys whose data may have missed a change (PROTOCOL.md
   * `stale`). All-or-nothing: a query that fails to derive registers nothing.
   */
  async update(
    subscriptionId: string,
    identity: Identity,
    change: {
      add?: readonly LiveQueryRef[] | undefined;
      remove?: readonly string[] | undefined;
      replace?: boolean | undefined;
    },
    parseSince: (since: string) => FramePosition | undefined,
  ): Promise<{ stale: string[]; position: FramePosition }> {
    const session = this.#session(subscriptionId, identity);
    const add = change.add ?? [];
    const keep = new Set(add.map((q) => q.key));
    const removed = change.replace
      ? [...session.queries.keys()].filter((key) => !keep.has(key))
      : [...(change.remove ?? [])];
    const finalCount =
      new Set([...session.queries.keys(), ...keep]).size - removed.filter((k) => !keep.has(k)).length;
    if (finalCount > this.#options.maxQueriesPerSubscription) {
      throw new ServerError(
        'TOO_MANY_QUERIES',
        `at most ${this.#options.maxQueriesPerSubscription} live queries`,
      );
    }
    for (const query of add) {
      if (!this.#options.isLiveQuery(query.path)) {
        throw new ServerError('UNKNOWN_PROCEDURE', `${query.path.slice(0, 200)} is not a live query`);
      }
    }
    const derived = await Promise.all(add.map((query) => this.#readSet(identity, query)));
    for (const key of removed) this.#remove(session, key);
    const hub = this.#options.hub;
    const stale: string[] = [];
    for (const [index, query] of add.entries()) {
      const { cacheKey, readSet } = derived[index]!;
      this.#remove(session, query.key);
      session.queries.set(query.key, { path: query.path, input: query.input, cacheKey });
      this.#cache.get(cacheKey)?.users.add(`${subscriptionId}\0${query.key}`);
      hub.register(subscriptionId, query.key, readSet);
      const since = query.since === undefined || query.since === null ? undefined : parseSince(query.since);
      if (hub.changedSince(since, readSet)) stale.push(query.key);
    }
    return { stale, position: hub.position() };
  }

  close(): void {
    for (const session of this.#sessions.values())
      if (session.expiry !== undefined) clearTimeout(session.expiry);
    this.#sessions.clear();
    this.#cache.clear();
  }

  #session(subscriptionId: string, identity: Identity): Session {
    let session = this.#sessions.get(subscriptionId);
    if (session === undefined) {
      session = { id: subscriptionId, owner: identity, queries: new Map(), streams: 0, expiry: undefined };
      this.#sessions.set(subscriptionId, session);
      session.expiry = setTimeout(() => this.#drop(session!), this.#options.sessionGraceMs);
      session.expiry.unref();
    } else if (
      session.owner.userId !== identity.userId ||
      session.owner.tenantId !== identity.tenantId ||
      session.owner.role !== identity.role
    ) {
      // Never let one identity read or steer another's subscription.
      throw new ServerError('UNKNOWN_SUBSCRIPTION', 'subscription belongs to another identity');
    }
    return session;
  }

  async #readSet(identity: Identity, query: LiveQueryRef): Promise<{ cacheKey: string; readSet: ReadSet }> {
    const cacheKey = JSON.stringify([
      identity.userId,
      identity.tenantId,
      identity.role,
      query.path,
      query.input ?? null,
    ]);
    let cached = this.#cache.get(cacheKey);
    if (cached === undefined) {
      const readSet = this.#options.derive(identity, query.path, query.input);
      cached = { readSet, identity, path: query.path, input: query.input, users: new Set() };
      this.#cache.set(cacheKey, cached);
      readSet.catch(() => {
        if (this.#cache.get(cacheKey) === cached && cached?.users.size === 0) this.#cache.delete(cacheKey);
      });
    }
    return { cacheKey, readSet: await cached.readSet };
  }

  #remove(session: Session, key: string): void {
    const query = session.queries.get(key);
    if (query === undefined) return;
    session.queries.delete(key);
    this.#options.hub.unregister(session.id, key);
    const cached = this.#cache.get(query.cacheKey);
    cached?.users.delete(`${session.id}\0${key}`);
    if (cached?.users.size === 0) this.#cache.delete(query.cacheKey);
  }

  #drop(session: Session): void {
    if (session.streams > 0 || this.#sessions.get(session.id) !== session) return;
    for (const key of [...session.queries.keys()]) this.#remove(session, key);
    this.#options.hub.unregisterSubscriber(session.id);
    this.#sessions.delete(session.id);
  }

  #scheduleRederive(): void {
    if (this.#rederiveScheduled) return;
    this.#rederiveScheduled = true;
    setImmediate(() => {
      this.#rederiveScheduled = false;
      const keys = [...this.#rederive];
      this.#rederive.clear();
      for (const cacheKey of keys) {
        const cached = this.#cache.get(cacheKey);
        if (cached === undefined) continue;
        const next = this.#options.derive(cached.identity, cached.path, cached.input);
        next.then(
          (readSet) => {
            if (this.#cache.get(cacheKey) !== cached) return;
            cached.readSet = next;
            for (const user of cached.users) {
              const [subscriptionId, key] = user.split('\0') as [string, string];
              this.#options.hub.register(subscriptionId, key, readSet);
            }
          },
          // A query that now fails (e.g. forbidden after a schema change) keeps its last read-set.
          (error: unknown) => this.#options.onError(error),
        );
      }
    });
  }
}
