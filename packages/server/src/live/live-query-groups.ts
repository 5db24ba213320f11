import type { FramePosition, LiveQueryHub, PublishResult } from '@liveframe/reactive';
import { identityKey } from '../auth/identity.ts';
import type { ReadSet } from '../db/database-contract.ts';

/** What running a live query once taught the server: everything that execution read. */
export interface DerivedReadSet {
  readonly readSet: ReadSet;
}

/** Runs a live query procedure as `identity` and captures what it read. */
export type DeriveReadSet = (identity: object, path: string, input: unknown) => Promise<DerivedReadSet>;

/**
 * Registered live queries that run the same procedure on the same input as the same identity:
 * they read the same rows, so they share one read-set. The group is registered in the hub under
 * an id of its own (never a client's subscription id: those match `[A-Za-z0-9_-]{8,128}`), so it
 * keeps being matched while all its subscribers are disconnected.
 */
export interface QueryGroup {
  readonly id: string;
  readonly cacheKey: string;
  readonly identity: object;
  readonly path: string;
  readonly input: unknown;
  /** The read-set of the latest finished execution; undefined until the first one finished. */
  readSet: ReadSet | undefined;
  /** The first execution (registrations wait for it). */
  readonly ready: Promise<ReadSet>;
  /** `${subscriptionId}\0${key}` of every registration using the group, attached or not. */
  readonly users: Set<string>;
  /** Registrations being set up that will use it (keeps it alive while they await `ready`). */
  holds: number;
  /** An execution is running / another one is needed after it. */
  deriving: boolean;
  dirty: boolean;
  /**
   * The first change that hit the read-set since the latest execution began: before it the
   * execution would have read the same rows, so its successor's registration must catch every
   * change after it (a change between the hit and the next execution's start included).
   */
  hitAt: FramePosition | undefined;
}

const GROUP_KEY = 'read-set';

export interface LiveQueryGroupsOptions {
  readonly hub: LiveQueryHub;
  readonly derive: DeriveReadSet;
  /** Re-registers the group's attached users with its new read-set (LiveSessions). */
  readonly onReadSet: (group: QueryGroup, readSet: ReadSet, since: FramePosition) => void;
  readonly onError: (error: unknown) => void;
}

/**
 * The read-sets of live queries, one per group (path, input, identity), each the exact set of
 * rows and tables its latest execution read.
 *
 * A read-set can change with the data: a procedure that reads an order, then the customer the
 * order points to, reads another customer row once the order's foreign key moves; a procedure may
 * branch on what it read. No heuristic on parameter values can tell which executions depend on
 * data (a foreign key may equal an input value), so every change that hits a group's read-set
 * runs the group once more (in the background, after the change's events went out) and its
 * read-set becomes what that execution read. That costs one execution per distinct affected
 * query per change, independent of how many clients hold it. The re-registration uses the
 * execution's start position as `since`, so a change that lands while it runs is never lost.
 */
export class LiveQueryGroups {
  readonly #options: LiveQueryGroupsOptions;
  readonly #groups = new Map<string, QueryGroup>();
  readonly #byHubId = new Map<string, QueryGroup>();
  readonly #pending = new Set<QueryGroup>();
  #scheduled = false;
  #closed = false;
  #nextId = 0;

  constructor(options: LiveQueryGroupsOptions) {
    this.#options = options;
  }

  /** Distinct live queries (groups) held. */
  get size(): number {
    return this.#groups.size;
  }

  /** Whether a hub subscriber id is a group's (not a client's). */
  isGroupId(subscriberId: string): boolean {
    return this.#byHubId.has(subscriberId);
  }

  /**
   * The group of (identity, path, input), created and executed once if new; held until
   * {@link release} (or {@link use}) is called for this acquisition.
   */
  acquire(identity: object, path: string, input: unknown): QueryGroup {
    const cacheKey = JSON.stringify([identityKey(identity), path, input ?? null]);
    let group = this.#groups.get(cacheKey);
    if (group === undefined) {
      const id = `group:${++this.#nextId}`;
      const first = this.#options.derive(identity, path, input);
      const created: QueryGroup = {
        id,
        cacheKey,
        identity,
        path,
        input,
        readSet: undefined,
        ready: first.then((derived) => derived.readSet),
        users: new Set(),
        holds: 0,
        deriving: true,
        dirty: false,
        hitAt: undefined,
      };
      group = created;
      this.#groups.set(cacheKey, created);
      this.#byHubId.set(id, created);
      const since = this.#options.hub.position;
      first.then(
        (derived) => this.#settle(created, derived.readSet, since, since),
        () => {
          created.deriving = false;
          // Nobody can use a group whose first execution failed: the next acquire runs it anew.
          this.#forget(cacheKey, created);
        },
      );
      // The failure reaches every caller through `ready`; this handler only keeps it handled.
      created.ready.catch(() => undefined);
    }
    group.holds++;
    return group;
  }

  /** Turns one acquisition into a user of the group. */
  use(group: QueryGroup, user: string): void {
    group.holds--;
    group.users.add(user);
  }

  /** Drops one acquisition that did not become a user. */
  release(group: QueryGroup): void {
    group.holds--;
    this.#collect(group);
  }

  /** A user stopped using the group. */
  leave(group: QueryGroup, user: string): void {
    group.users.delete(user);
    this.#collect(group);
  }

  /**
   * Called with every publish result: groups hit by the change, groups of queries a schema
   * change named, and on a refetch-all every group, run again.
   */
  afterPublish(result: PublishResult): void {
    if (result.refetchAll) {
      for (const group of this.#groups.values()) this.#mark(group, result.position);
    } else {
      for (const ref of result.rederive) this.#mark(this.#byHubId.get(ref.subscriberId), result.position);
      for (const subscriberId of result.matches.keys())
        this.#mark(this.#byHubId.get(subscriberId), result.position);
    }
    this.#schedule();
  }

  /** Schema changed in a way the hub could not attribute: every group runs again. */
  rederiveAll(): void {
    const position = this.#options.hub.position;
    for (const group of this.#groups.values()) this.#mark(group, position);
    this.#schedule();
  }

  close(): void {
    this.#closed = true;
    this.#groups.clear();
    this.#byHubId.clear();
    this.#pending.clear();
  }

  #mark(group: QueryGroup | undefined, at: FramePosition): void {
    if (group === undefined) return;
    group.hitAt ??= at;
    this.#pending.add(group);
  }

  #schedule(): void {
    if (this.#scheduled || this.#pending.size === 0) return;
    this.#scheduled = true;
    // After the current events went out: re-deriving is never on the invalidation's path.
    setImmediate(() => {
      this.#scheduled = false;
      const groups = [...this.#pending];
      this.#pending.clear();
      for (const group of groups) this.#rederive(group);
    });
  }

  #rederive(group: QueryGroup): void {
    if (this.#closed || this.#byHubId.get(group.id) !== group) return;
    if (group.deriving) {
      group.dirty = true;
      return;
    }
    group.deriving = true;
    group.dirty = false;
    // The execution reads at least at `start` (the read floor): it sees every change published so far.
    const start = this.#options.hub.position;
    const since = group.hitAt ?? start;
    group.hitAt = undefined;
    this.#options.derive(group.identity, group.path, group.input).then(
      (derived) => this.#settle(group, derived.readSet, since, start),
      (error: unknown) => {
        // A query that now fails (e.g. forbidden after a schema change) keeps its last read-set.
        group.deriving = false;
        group.hitAt ??= since;
        this.#options.onError(error);
        if (group.dirty) this.#rederive(group);
      },
    );
  }

  #settle(group: QueryGroup, readSet: ReadSet, since: FramePosition, start: FramePosition): void {
    group.deriving = false;
    if (this.#closed || this.#byHubId.get(group.id) !== group) return;
    group.readSet = readSet;
    const hub = this.#options.hub;
    hub.registerQuery({ subscriberId: group.id, key: GROUP_KEY, readSet });
    this.#options.onReadSet(group, readSet, since);
    // A change the execution could not see (published after `start`) may already have moved
    // what it should read: run it again. Changes up to `start` are in what it read.
    const head = hub.position;
    const moved = head.generation !== start.generation || head.frame !== start.frame;
    if (moved && hub.changedSince(start, readSet)) group.hitAt = start;
    if (group.dirty || group.hitAt !== undefined) {
      group.dirty = false;
      group.hitAt ??= start;
      this.#pending.add(group);
      this.#schedule();
    }
  }

  #collect(group: QueryGroup): void {
    if (group.users.size > 0 || group.holds > 0) return;
    this.#forget(group.cacheKey, group);
  }

  #forget(cacheKey: string, group: QueryGroup): void {
    if (this.#groups.get(cacheKey) === group) this.#groups.delete(cacheKey);
    if (this.#byHubId.get(group.id) !== group) return;
    this.#byHubId.delete(group.id);
    this.#pending.delete(group);
    if (!this.#closed) this.#options.hub.releaseSubscriber(group.id);
  }
}
