import type { FramePosition, LiveQueryHub, PublishResult } from '@liveframe/reactive';
import { tryParsePosition } from '@liveframe/reactive';
import type { Identity } from '../auth/identity.ts';
import type { ReadSet } from '../db/database-contract.ts';
import { ServerError } from '../server-error.ts';

/** One query a client registered: the key it names it by, and what it runs. */
export interface LiveQueryRef {
  readonly key: string;
  readonly path: string;
  readonly input?: unknown;
  readonly since?: string | null | undefined;
}

/**
 * What running a live query once taught the server: its read-set, and whether that read-set can
 * change with the data (some rowid-filtered statement was bound to a value that is neither in the
 * input nor the identity, e.g. a foreign key read by an earlier statement).
 */
export interface DerivedReadSet {
  readonly readSet: ReadSet;
  readonly dataDependent: boolean;
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
  derived: Promise<DerivedReadSet>;
  readonly identity: Identity;
  readonly path: string;
  readonly input: unknown;
  readonly users: Set<string>; // `${subscriptionId}\0${key}`
}

export interface LiveSessionsOptions {
  readonly hub: LiveQueryHub;
  readonly derive: (identity: Identity, path: string, input: unknown) => Promise<DerivedReadSet>;
  readonly isLiveQuery: (path: string) => boolean;
  readonly maxQueriesPerSubscription: number;
  readonly sessionGraceMs: number;
  readonly onError: (error: unknown) => void;
}

/**
 * The registrations of every live subscription on this server, keyed by the client's
 * `subscriptionId`: `live.update` adds and removes queries, whose read-sets are derived by
 * running them (cached by path + input + identity) and registered in reactive's hub. A session
 * outlives its socket for `sessionGraceMs`; a new stream re-registers its queries in the hub,
 * resuming from the client's `lastEventId`, so a quick reconnect needs no re-registration.
 *
 * Read-sets are derived again only when they can have changed: after a schema change (the hub
 * says which queries), and after an invalidation of a data-dependent read-set (see
 * {@link DerivedReadSet}). Re-registration uses the derivation's start position as `since`, so a
 * change that lands while a query is being derived again is never lost.
 */
export class LiveSessions {
  readonly #options: LiveSessionsOptions;
  readonly #sessions = new Map<string, Session>();
  readonly #cache = new Map<string, CachedReadSet>();
  readonly #rederive = new Set<string>();
  #dataDependent = 0;
  #rederiveScheduled = false;

  constructor(options: LiveSessionsOptions) {
    this.#options = options;
  }

  get size(): number {
    return this.#sessions.size;
  }

  /**
   * A live subscription stream is about to start for this id (creates the session, checks its
   * owner) and re-registers the session's queries in the hub, with `after` (the client's
   * lastEventId) as `since`: what they missed while no stream was open is told on subscribe.
   */
  attach(subscriptionId: string, identity: Identity, after: string | undefined): number {
    const session = this.#session(subscriptionId, identity);
    session.streams++;
    if (session.expiry !== undefined) clearTimeout(session.expiry);
    session.expiry = undefined;
    const since = after === undefined ? undefined : (tryParsePosition(after) ?? undefined);
    for (const [key, query] of session.queries) {
      const cached = this.#cache.get(query.cacheKey);
      const known = cached === undefined ? undefined : settled.get(cached.derived);
      if (known === undefined) continue;
      this.#options.hub.registerQuery({ subscriberId: subscriptionId, key, readSet: known.readSet, since });
    }
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
      // Registered without `since`: staleness is answered in `stale`, not as an extra event.
      hub.registerQuery({ subscriberId: subscriptionId, key: query.key, readSet });
      const since = query.since === undefined || query.since === null ? null : tryParsePosition(query.since);
      if (since === null || hub.changedSince(since, readSet)) stale.push(query.key);
    }
    return { stale, position: hub.position };
  }

  /**
   * Called with every publish result: schedules the read-sets that may have changed for
   * re-derivation (schema changes; invalidated data-dependent read-sets).
   */
  afterPublish(result: PublishResult): void {
    for (const ref of result.rederive) this.#markForRederive(ref.subscriberId, ref.key);
    if (this.#dataDependent > 0) {
      for (const [subscriptionId, match] of result.matches) {
        for (const key of match.queries) this.#markForRederive(subscriptionId, key, true);
      }
    }
    if (this.#rederive.size > 0) this.#scheduleRederive();
  }

  /** Schema changed in a way the hub could not attribute: every read-set is derived again. */
  rederiveAll(): void {
    for (const cacheKey of this.#cache.keys()) this.#rederive.add(cacheKey);
    if (this.#rederive.size > 0) this.#scheduleRederive();
  }

  close(): void {
    for (const session of this.#sessions.values())
      if (session.expiry !== undefined) clearTimeout(session.expiry);
    this.#sessions.clear();
    this.#cache.clear();
  }

  #markForRederive(subscriptionId: string, key: string, onlyDataDependent = false): void {
    const query = this.#sessions.get(subscriptionId)?.queries.get(key);
    if (query === undefined) return;
    if (onlyDataDependent) {
      const cached = this.#cache.get(query.cacheKey);
      const known = cached === undefined ? undefined : settled.get(cached.derived);
      if (known?.dataDependent !== true) return;
    }
    this.#rederive.add(query.cacheKey);
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
      const derived = this.#track(this.#options.derive(identity, query.path, query.input));
      cached = { derived, identity, path: query.path, input: query.input, users: new Set() };
      this.#cache.set(cacheKey, cached);
      const entry = cached;
      derived.catch(() => {
        if (this.#cache.get(cacheKey) === entry && entry.users.size === 0) this.#delete(cacheKey);
      });
    }
    return { cacheKey, readSet: (await cached.derived).readSet };
  }

  /** Remembers the settled value of a derivation (so attach can register synchronously). */
  #track(derived: Promise<DerivedReadSet>): Promise<DerivedReadSet> {
    derived.then(
      (value) => {
        settled.set(derived, value);
        if (value.dataDependent) this.#dataDependent++;
      },
      () => undefined,
    );
    return derived;
  }

  #delete(cacheKey: string): void {
    const cached = this.#cache.get(cacheKey);
    if (cached === undefined) return;
    if (settled.get(cached.derived)?.dataDependent === true) this.#dataDependent--;
    this.#cache.delete(cacheKey);
  }

  #remove(session: Session, key: string): void {
    const query = session.queries.get(key);
    if (query === undefined) return;
    session.queries.delete(key);
    this.#options.hub.unregisterQuery(session.id, key);
    const cached = this.#cache.get(query.cacheKey);
    cached?.users.delete(`${session.id}\0${key}`);
    if (cached?.users.size === 0) this.#delete(query.cacheKey);
  }

  #drop(session: Session): void {
    if (session.streams > 0 || this.#sessions.get(session.id) !== session) return;
    for (const key of [...session.queries.keys()]) this.#remove(session, key);
    this.#options.hub.releaseSubscriber(session.id);
    this.#sessions.delete(session.id);
  }

  #scheduleRederive(): void {
    if (this.#rederiveScheduled) return;
    this.#rederiveScheduled = true;
    // After the current events went out: re-deriving is never on the invalidation's path.
    setImmediate(() => {
      this.#rederiveScheduled = false;
      const keys = [...this.#rederive];
      this.#rederive.clear();
      for (const cacheKey of keys) this.#rederiveOne(cacheKey);
    });
  }

  #rederiveOne(cacheKey: string): void {
    const cached = this.#cache.get(cacheKey);
    if (cached === undefined) return;
    const hub = this.#options.hub;
    const since = hub.position;
    const next = this.#options.derive(cached.identity, cached.path, cached.input);
    next.then(
      (value) => {
        if (this.#cache.get(cacheKey) !== cached) return;
        const previous = settled.get(cached.derived);
        if (previous?.dataDependent === true) this.#dataDependent--;
        settled.set(next, value);
        if (value.dataDependent) this.#dataDependent++;
        cached.derived = next;
        for (const user of cached.users) {
          const [subscriptionId, key] = user.split('\0') as [string, string];
          // `since`: a change between the derivation's reads and now invalidates right away.
          hub.registerQuery({ subscriberId: subscriptionId, key, readSet: value.readSet, since });
        }
      },
      // A query that now fails (e.g. forbidden after a schema change) keeps its last read-set.
      (error: unknown) => this.#options.onError(error),
    );
  }
}

/** Settled derivations, so registration on attach needs no await. */
const settled = new WeakMap<Promise<DerivedReadSet>, DerivedReadSet>();
