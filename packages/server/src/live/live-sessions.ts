import type { FramePosition, LiveQueryHub, PublishResult } from '@liveframe/reactive';
import { registrationDigest, tryParsePosition } from '@liveframe/reactive';
import { identityKey } from '../auth/identity.ts';
import type { ReadSet } from '../db/database-contract.ts';
import { ServerError } from '../server-error.ts';
import {
  type DeriveReadSet,
  type GroupRun,
  type GroupUser,
  LiveQueryGroups,
  type QueryGroup,
} from './live-query-groups.ts';
import { type PushItem, PushRounds } from './push-rounds.ts';

export type { DerivedReadSet } from './live-query-groups.ts';

/** One query a client registered: the key it names it by, and what it runs. */
export interface LiveQueryRef {
  readonly key: string;
  readonly path: string;
  readonly input?: unknown;
  readonly since?: string | null | undefined;
}

/** What a (re)subscription's `live` ack tells the client about the registrations held for it. */
export interface HeldRegistrations {
  readonly count: number;
  /** `registrationDigest` of the held keys: the client skips re-registering only when it is equal. */
  readonly digest: string;
}

interface Registration {
  readonly path: string;
  readonly input: unknown;
  readonly group: QueryGroup;
  /**
   * Push delivery: the encoded result this subscriber is known to hold (the last one pushed to
   * it); undefined while it holds data of its own fetch. A run whose output differs from it is
   * pushed, even if the group's output did not change: an execution may have read frames the hub
   * had not announced yet, so "unchanged for the group" is not "unchanged for this subscriber".
   */
  delivered: string | undefined;
  /** The position it was pushed with (a patch names it as its base). */
  deliveredAt: FramePosition | undefined;
}

/** How a subscription learns about changes (PROTOCOL.md): refetch instructions, or the results. */
export type LiveDelivery = 'invalidate' | 'push';

/**
 * A registration as its group knows it, with direct references: a run's result reaches every
 * viewer of the query without looking up 1,000 sessions and their registrations by id. Kept exact
 * by the group: a removed registration leaves it, a re-sent key replaces its entry.
 */
interface SessionUser extends GroupUser {
  readonly session: Session;
  readonly registration: Registration;
}

interface Session {
  readonly id: string;
  readonly owner: string;
  readonly queries: Map<string, Registration>;
  streams: number;
  expiry: NodeJS.Timeout | undefined;
  /** Of the latest stream; a detached session keeps it for its return. */
  delivery: LiveDelivery;
  /** Push delivery: the latest stream takes results as patches against the last one pushed. */
  patches: boolean;
}

export interface LiveSessionsOptions {
  readonly hub: LiveQueryHub;
  readonly derive: DeriveReadSet;
  readonly isLiveQuery: (path: string) => boolean;
  readonly maxQueriesPerSubscription: number;
  readonly sessionGraceMs: number;
  /** Pushed results larger than this (encoded bytes) go out as an invalidation of that key. */
  readonly maxPushBytes: number;
  readonly onError: (error: unknown) => void;
}

/**
 * The registrations of every live subscription on this server, keyed by the client's
 * `subscriptionId`. A session is created by the `live.events` stream (`attach`); `live.update`
 * adds and removes its queries. A session outlives its socket for `sessionGraceMs`; a new stream
 * re-registers its queries in the hub, resuming from the client's `lastEventId`, so a quick
 * reconnect needs no re-registration (the ack's count and digest say what is held).
 *
 * Read-sets belong to query groups (live-query-groups.ts), shared by every registration of the
 * same (identity, path, input), whether its session is attached or not, and kept exact by running
 * the group again after every change that hits it.
 */
export class LiveSessions {
  readonly #options: LiveSessionsOptions;
  readonly #sessions = new Map<string, Session>();
  readonly #groups: LiveQueryGroups;
  readonly #pushes: PushRounds;

  constructor(options: LiveSessionsOptions) {
    this.#options = options;
    this.#pushes = new PushRounds({
      maxPushBytes: options.maxPushBytes,
      offer: (subscriptionId, event) => options.hub.offer(subscriptionId, event),
      // Its stream ended before the round was sent: it does not hold these results.
      notSent: (subscriptionId, results) => {
        const session = this.#sessions.get(subscriptionId);
        for (const result of results) {
          const registration = session?.queries.get(result.key);
          if (registration !== undefined) forget(registration);
        }
      },
    });
    this.#groups = new LiveQueryGroups({
      hub: options.hub,
      derive: options.derive,
      onError: options.onError,
      onRun: (group, run) => this.#afterRun(group, run),
      wantsOutput: (group) => this.#hasPushUser(group),
      onIdle: () => this.#pushes.flush(),
    });
  }

  /** Sessions held (attached or within their grace period). */
  get size(): number {
    return this.#sessions.size;
  }

  /** Distinct live queries held (one read-set each). */
  get groups(): number {
    return this.#groups.size;
  }

  /** Executions the server made of live queries itself (registrations and re-runs; shared ones once). */
  get runs(): number {
    return this.#groups.runs;
  }

  /** Whether a hub subscriber id is one of the groups' own registrations, not a client's. */
  isGroupId(subscriberId: string): boolean {
    return this.#groups.isGroupId(subscriberId);
  }

  /**
   * A live subscription stream is about to start for this id (creates the session or checks its
   * owner) and re-registers the session's queries in the hub, with `after` (the client's
   * lastEventId) as `since`: what they missed while no stream was open is told on subscribe.
   * Throws `UNKNOWN_SUBSCRIPTION` when the id belongs to another identity.
   */
  attach(
    subscriptionId: string,
    identity: object,
    after: string | undefined,
    delivery: LiveDelivery = 'invalidate',
    options: { readonly patches?: boolean } = {},
  ): HeldRegistrations {
    const session = this.#sessions.get(subscriptionId) ?? this.#create(subscriptionId, identity);
    this.#checkOwner(session, identity);
    session.streams++;
    if (session.expiry !== undefined) clearTimeout(session.expiry);
    session.expiry = undefined;
    const since = after === undefined ? undefined : (tryParsePosition(after) ?? undefined);
    const hub = this.#options.hub;
    if (session.delivery === 'invalidate' && delivery === 'push') {
      for (const key of session.queries.keys()) hub.unregisterQuery(subscriptionId, key);
    }
    session.delivery = delivery;
    session.patches = delivery === 'push' && options.patches === true;
    // A stream that starts from nothing holds nothing pushed (a new client with an old id).
    if (after === undefined) for (const registration of session.queries.values()) forget(registration);
    if (delivery === 'invalidate') {
      for (const [key, registration] of session.queries) {
        const readSet = registration.group.readSet;
        if (readSet === undefined) continue; // registered once its first execution finishes
        hub.registerQuery({ subscriberId: subscriptionId, key, readSet, since });
      }
    }
    return held(session);
  }

  /**
   * The stream's first event went to the hub (`hub.subscribe`): a push subscription resuming from
   * `after` gets the current result of every registered query whose result changed since then (all
   * of them when `after` cannot be compared), as one `results` event.
   */
  resumePush(subscriptionId: string, after: string | undefined): void {
    const session = this.#sessions.get(subscriptionId);
    if (session === undefined || session.delivery !== 'push' || after === undefined) return;
    const since = tryParsePosition(after);
    for (const [key, registration] of session.queries) {
      const { group } = registration;
      if (group.output === undefined || group.outputAt === undefined) {
        this.#groups.refresh(group);
        continue;
      }
      // What changed while it was away: a result other than the one it was last sent, or one sent
      // after the last event it got (it may have been lost with the old socket).
      const missed =
        since === null ||
        since.generation !== group.outputAt.generation ||
        since.frame < group.outputAt.frame;
      if (registration.delivered !== group.output || missed) {
        // The whole result: what the client holds after what it missed is not known.
        const item = this.#pushes.item(key, group.output, group.outputAt);
        remember(registration, item, group.output, group.outputAt);
        this.#pushes.queue(session.id, item, group.outputAt);
      }
    }
    this.#pushes.flush();
  }

  /** The stream ended; the registrations stay for the grace period. */
  detach(subscriptionId: string): void {
    const session = this.#sessions.get(subscriptionId);
    if (session === undefined) return;
    session.streams = Math.max(0, session.streams - 1);
    if (session.streams > 0) return;
    this.#expireLater(session);
  }

  /**
   * Applies a `live.update`; returns the keys whose data may have missed a change (PROTOCOL.md
   * `stale`). All-or-nothing: invalid input or a query that fails to run registers nothing.
   * Throws `UNKNOWN_SUBSCRIPTION` unless a `live.events` stream of this identity created the
   * session (and it has not expired), `INVALID_POSITION` for a `since` that is not a position.
   */
  async update(
    subscriptionId: string,
    identity: object,
    change: {
      add?: readonly LiveQueryRef[] | undefined;
      remove?: readonly string[] | undefined;
      replace?: boolean | undefined;
    },
  ): Promise<{ stale: string[]; position: FramePosition }> {
    this.#existing(subscriptionId, identity);
    const add = change.add ?? [];
    const sinces = add.map((query) => parseSince(query.since));
    for (const query of add) {
      if (!this.#options.isLiveQuery(query.path)) {
        throw new ServerError('UNKNOWN_PROCEDURE', `${query.path.slice(0, 200)} is not a live query`);
      }
    }
    const before = this.#existing(subscriptionId, identity);
    const keep = new Set(add.map((q) => q.key));
    const finalKeys = new Set(change.replace ? [] : before.queries.keys());
    for (const key of change.replace ? [] : (change.remove ?? [])) finalKeys.delete(key);
    for (const key of keep) finalKeys.add(key);
    if (finalKeys.size > this.#options.maxQueriesPerSubscription) {
      throw new ServerError(
        'TOO_MANY_QUERIES',
        `at most ${this.#options.maxQueriesPerSubscription} live queries`,
      );
    }

    const groups = add.map((query) => this.#groups.acquire(identity, query.path, query.input));
    let readSets: ReadSet[];
    try {
      readSets = await Promise.all(groups.map((group) => group.ready));
    } catch (error) {
      for (const group of groups) this.#groups.release(group);
      throw error;
    }
    // The session may have expired or changed hands while the queries ran.
    let session: Session;
    try {
      session = this.#existing(subscriptionId, identity);
    } catch (error) {
      for (const group of groups) this.#groups.release(group);
      throw error;
    }

    const hub = this.#options.hub;
    const removed = change.replace
      ? [...session.queries.keys()].filter((key) => !keep.has(key))
      : (change.remove ?? []).filter((key) => !keep.has(key));
    for (const key of removed) this.#remove(session, key);
    const stale: string[] = [];
    for (const [index, query] of add.entries()) {
      const group = groups[index]!;
      const readSet = group.readSet ?? readSets[index]!;
      // What the client holds now came from its own fetch: the next run's result goes to it.
      const registration: Registration = {
        path: query.path,
        input: query.input,
        group,
        delivered: undefined,
        deliveredAt: undefined,
      };
      // Join the new group before leaving the old one: a re-sent key keeps its group alive.
      const user: SessionUser = { subscriptionId: session.id, key: query.key, session, registration };
      this.#groups.use(group, user);
      const previous = session.queries.get(query.key);
      session.queries.set(query.key, registration);
      if (previous !== undefined && previous.group !== group) {
        this.#groups.leave(previous.group, { subscriptionId: session.id, key: query.key });
      }
      // Registered without `since`: staleness is answered in `stale`, not as an extra event.
      // Push subscriptions are matched through their group (its results are pushed).
      if (session.delivery === 'invalidate') {
        hub.registerQuery({ subscriberId: subscriptionId, key: query.key, readSet });
      }
      const since = sinces[index]!;
      if (since === null || hub.changedSince(since, readSet)) stale.push(query.key);
    }
    return { stale, position: hub.position };
  }

  /** Called with every publish result: the groups it hit run again (live-query-groups.ts). */
  afterPublish(result: PublishResult): void {
    this.#groups.afterPublish(result);
  }

  /** Schema changed in a way the hub could not attribute: every read-set is derived again. */
  rederiveAll(): void {
    this.#groups.rederiveAll();
  }

  close(): void {
    for (const session of this.#sessions.values())
      if (session.expiry !== undefined) clearTimeout(session.expiry);
    this.#sessions.clear();
    this.#groups.close();
    this.#pushes.clear();
  }

  /**
   * A group ran: its invalidate-mode users whose stream is open get the new read-set (`since` the
   * first change the old one missed); its push-mode users get the result if it changed.
   * Detached sessions are brought up to date on attach.
   */
  #afterRun(group: QueryGroup, run: GroupRun): void {
    // Members of a cohort nearly all hold the same base under the same key: the item of the
    // previous member is reused without the run → key → base lookups (this loop runs for every
    // viewer of the query on every change).
    let last: { key: string; base: string | undefined; item: PushItem } | undefined;
    for (const user of group.users.values()) {
      const { subscriptionId, key, session, registration } = user as SessionUser;
      if (registration.group !== group || session.streams === 0) continue;
      if (session.delivery === 'invalidate') {
        this.#options.hub.registerQuery({
          subscriberId: subscriptionId,
          key,
          readSet: run.readSet,
          since: run.since,
        });
      } else {
        if (run.output !== undefined && registration.delivered !== run.output) {
          const base =
            session.patches && registration.delivered !== undefined && registration.deliveredAt !== undefined
              ? { text: registration.delivered, at: registration.deliveredAt }
              : undefined;
          const item =
            last !== undefined && last.key === key && last.base === base?.text
              ? last.item
              : this.#pushes.itemOf(run, key, run.output, run.at, run.outputBytes, base);
          if (last?.item !== item) last = { key, base: base?.text, item };
          remember(registration, item, run.output, run.at);
          this.#pushes.queue(subscriptionId, item, run.at);
        }
      }
    }
  }

  #hasPushUser(group: QueryGroup): boolean {
    for (const user of group.users.values())
      if ((user as SessionUser).session.delivery === 'push') return true;
    return false;
  }

  #create(subscriptionId: string, identity: object): Session {
    const session: Session = {
      id: subscriptionId,
      owner: identityKey(identity),
      queries: new Map(),
      streams: 0,
      expiry: undefined,
      delivery: 'invalidate',
      patches: false,
    };
    this.#sessions.set(subscriptionId, session);
    return session;
  }

  #existing(subscriptionId: string, identity: object): Session {
    const session = this.#sessions.get(subscriptionId);
    if (session === undefined) {
      throw new ServerError(
        'UNKNOWN_SUBSCRIPTION',
        'no live.events subscription with this id on this server (subscribe first, or again after a reconnect)',
      );
    }
    this.#checkOwner(session, identity);
    return session;
  }

  #checkOwner(session: Session, identity: object): void {
    if (session.owner !== identityKey(identity)) {
      // Never let one identity read or steer another's subscription; the same answer as an unknown id.
      throw new ServerError(
        'UNKNOWN_SUBSCRIPTION',
        'no live.events subscription with this id on this server (subscribe first, or again after a reconnect)',
      );
    }
  }

  #remove(session: Session, key: string): void {
    const registration = session.queries.get(key);
    if (registration === undefined) return;
    session.queries.delete(key);
    this.#options.hub.unregisterQuery(session.id, key);
    this.#groups.leave(registration.group, { subscriptionId: session.id, key });
  }

  #expireLater(session: Session): void {
    if (session.expiry !== undefined) clearTimeout(session.expiry);
    session.expiry = setTimeout(() => this.#drop(session), this.#options.sessionGraceMs);
    session.expiry.unref();
  }

  #drop(session: Session): void {
    if (session.streams > 0 || this.#sessions.get(session.id) !== session) return;
    for (const key of [...session.queries.keys()]) this.#remove(session, key);
    this.#options.hub.releaseSubscriber(session.id);
    this.#sessions.delete(session.id);
  }
}

function held(session: Session): HeldRegistrations {
  return { count: session.queries.size, digest: registrationDigest(session.queries.keys()) };
}

/** `since` of a registration: null when absent (always stale); a garbage value is the client's bug. */
function parseSince(since: string | null | undefined): FramePosition | null {
  if (since === undefined || since === null) return null;
  const position = tryParsePosition(since);
  if (position === null) {
    throw new ServerError(
      'INVALID_POSITION',
      `since ${JSON.stringify(since.slice(0, 100))} is not a position`,
    );
  }
  return position;
}

/** What the subscriber holds once `item` arrived: the result, or nothing pushed (an invalidation). */
function remember(registration: Registration, item: PushItem, output: string, at: FramePosition): void {
  if (item.result === undefined) forget(registration);
  else {
    registration.delivered = output;
    registration.deliveredAt = at;
  }
}

function forget(registration: Registration): void {
  registration.delivered = undefined;
  registration.deliveredAt = undefined;
}
