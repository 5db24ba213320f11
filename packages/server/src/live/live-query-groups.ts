import type { FramePosition, LiveQueryHub, PublishResult } from '@liveframe/reactive';
import { identityKey } from '../auth/identity.ts';
import { scopeOf } from '../auth/identity-access.ts';
import type { ReadSet } from '../db/database-contract.ts';

/** What running a live query once taught the server: what it read, what it returned, whose fields it used. */
export interface DerivedReadSet {
  readonly readSet: ReadSet;
  /** The procedure's output, encoded (superjson text) once for every subscriber. */
  readonly output?: string;
  /** Identity fields the execution read (its data scope); undefined when unknown (all of them). */
  readonly identityFields?: readonly string[];
}

/**
 * Runs a live query procedure as `identity` and captures what it read; with `output`, also its
 * encoded result (only push subscribers need it: encoding every run would be wasted otherwise).
 */
export type DeriveReadSet = (
  identity: object,
  path: string,
  input: unknown,
  options?: { readonly output: boolean },
) => Promise<DerivedReadSet>;

/** One execution's outcome, as the groups hand it to their users (LiveSessions). */
export interface GroupRun {
  readonly readSet: ReadSet;
  /** Position of the first change the previous read-set missed: re-registrations catch every change after it. */
  readonly since: FramePosition;
  /** The position the execution read at (at or past every change published before it began). */
  readonly at: FramePosition;
  /** The encoded output (undefined: not captured, no push subscriber). */
  readonly output: string | undefined;
  /** Its size in bytes (UTF-8), measured once for every group sharing the run. */
  readonly outputBytes: number;
}

/**
 * Registered live queries that run the same procedure on the same input as the same identity:
 * they read the same rows, so they share one read-set and one result. The group is registered in
 * the hub under an id of its own (never a client's subscription id: those match
 * `[A-Za-z0-9_-]{8,128}`), so it keeps being matched while all its subscribers are disconnected.
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
  /** The latest encoded output and the position of the run that produced it (when it last changed). */
  output: string | undefined;
  outputAt: FramePosition | undefined;
  /** Identity fields the latest execution read; undefined: not known (the whole identity). */
  identityFields: readonly string[] | undefined;
}

const GROUP_KEY = 'read-set';

export interface LiveQueryGroupsOptions {
  readonly hub: LiveQueryHub;
  readonly derive: DeriveReadSet;
  /** A group ran again: its users get the new read-set, and push subscribers the changed result. */
  readonly onRun: (group: QueryGroup, run: GroupRun) => void;
  /** No run is in flight any more (the runs of a round all finished): push deliveries go out. */
  readonly onIdle?: () => void;
  /** Whether some user of the group receives pushed results (then runs capture the output). */
  readonly wantsOutput?: (group: QueryGroup) => boolean;
  readonly onError: (error: unknown) => void;
}

/**
 * The read-sets and results of live queries, one per group (path, input, identity), each the
 * exact set of rows and tables its latest execution read, and the output it returned.
 *
 * A read-set can change with the data: a procedure that reads an order, then the customer the
 * order points to, reads another customer row once the order's foreign key moves; a procedure may
 * branch on what it read. No heuristic on parameter values can tell which executions depend on
 * data (a foreign key may equal an input value), so every change that hits a group's read-set
 * runs the group once more (in the background, after the change's events went out) and its
 * read-set becomes what that execution read. The re-registration uses the first hit as `since`,
 * so a change that lands while it runs is never lost.
 *
 * Groups whose identities agree on every identity field the query read (its data scope: e.g.
 * only the tenant and the role) are run once per round and share the execution: server work per
 * change is one execution per distinct affected query, however many users hold it. An execution
 * that reads a field on which two members disagree is not shared; they run separately.
 */
export class LiveQueryGroups {
  readonly #options: LiveQueryGroupsOptions;
  readonly #groups = new Map<string, QueryGroup>();
  readonly #byHubId = new Map<string, QueryGroup>();
  readonly #pending = new Set<QueryGroup>();
  #scheduled = false;
  #closed = false;
  #nextId = 0;
  #runs = 0;
  #inFlight = 0;

  constructor(options: LiveQueryGroupsOptions) {
    this.#options = options;
  }

  /** Distinct live queries (groups) held. */
  get size(): number {
    return this.#groups.size;
  }

  /** Executions made for groups (registration and re-runs; shared ones count once). */
  get runs(): number {
    return this.#runs;
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
      const since = this.#options.hub.position;
      this.#runs++;
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
        output: undefined,
        outputAt: undefined,
        identityFields: undefined,
      };
      group = created;
      this.#groups.set(cacheKey, created);
      this.#byHubId.set(id, created);
      first.then(
        (derived) => this.#settle([created], derived, since, since),
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

  /** Runs the group again soon (e.g. a push subscriber needs its result and none was captured). */
  refresh(group: QueryGroup): void {
    this.#mark(group, this.#options.hub.position);
    this.#schedule();
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
    // After the current events went out: re-running is never on the invalidation's path.
    setImmediate(() => {
      this.#scheduled = false;
      const groups = [...this.#pending];
      this.#pending.clear();
      this.#round(groups);
    });
  }

  /** One scheduling round: groups with the same query and data scope share one execution. */
  #round(groups: QueryGroup[]): void {
    const buckets = new Map<string, QueryGroup[]>();
    for (const group of groups) {
      if (this.#closed || this.#byHubId.get(group.id) !== group) continue;
      if (group.deriving) {
        group.dirty = true;
        continue;
      }
      const scope =
        group.identityFields === undefined
          ? identityKey(group.identity)
          : scopeOf(group.identity, group.identityFields);
      const key = JSON.stringify([group.path, group.input ?? null, group.identityFields ?? null, scope]);
      const bucket = buckets.get(key);
      if (bucket === undefined) buckets.set(key, [group]);
      else bucket.push(group);
    }
    for (const bucket of buckets.values()) this.#run(bucket);
  }

  #run(bucket: QueryGroup[]): void {
    const leader = bucket[0]!;
    // The execution reads at least at `start` (the read floor): it sees every change published so far.
    const start = this.#options.hub.position;
    const sinces = bucket.map((group) => group.hitAt ?? start);
    for (const group of bucket) {
      group.deriving = true;
      group.dirty = false;
      group.hitAt = undefined;
    }
    const output = bucket.some((group) => this.#options.wantsOutput?.(group) === true);
    this.#runs++;
    this.#inFlight++;
    this.#options
      .derive(leader.identity, leader.path, leader.input, { output })
      .then(
        (derived) => {
          const fields = derived.identityFields;
          const scope = fields === undefined ? undefined : scopeOf(leader.identity, fields);
          const shared: QueryGroup[] = [];
          for (const [index, group] of bucket.entries()) {
            // The execution may have read fields the bucket did not key on: members that differ
            // there did not get their own result, so they run on their own.
            if (group === leader || (scope !== undefined && scopeOf(group.identity, fields!) === scope)) {
              shared.push(group);
            } else {
              group.deriving = false;
              group.hitAt ??= sinces[index]!;
              this.#pending.add(group);
            }
          }
          for (const group of shared) this.#settle([group], derived, sinces[bucket.indexOf(group)]!, start);
          this.#schedule();
        },
        (error: unknown) => {
          // A query that now fails (e.g. forbidden after a schema change) keeps its last read-set.
          for (const [index, group] of bucket.entries()) {
            group.deriving = false;
            group.hitAt ??= sinces[index]!;
            if (group.dirty) this.#pending.add(group);
          }
          this.#options.onError(error);
          this.#schedule();
        },
      )
      .finally(() => {
        // After the run settled (its pushes are queued): the round's last one sends them.
        this.#inFlight--;
        if (this.#inFlight === 0) this.#options.onIdle?.();
      });
  }

  #settle(groups: QueryGroup[], derived: DerivedReadSet, since: FramePosition, start: FramePosition): void {
    const hub = this.#options.hub;
    for (const group of groups) {
      group.deriving = false;
      if (this.#closed || this.#byHubId.get(group.id) !== group) continue;
      const { readSet } = derived;
      const unchanged = group.readSet !== undefined && sameReadSet(group.readSet, readSet);
      group.readSet = readSet;
      group.identityFields = derived.identityFields;
      if (derived.output !== undefined && derived.output !== group.output) {
        group.output = derived.output;
        group.outputAt = start;
      }
      // Re-indexing costs per group; a shared run hands hundreds of groups the same read-set.
      if (!unchanged) hub.registerQuery({ subscriberId: group.id, key: GROUP_KEY, readSet });
      this.#options.onRun(group, {
        readSet,
        since,
        at: start,
        output: group.output,
        outputBytes: bytesOf(derived),
      });
      // A change the execution could not see (published after `start`) may already have moved
      // what it should read: run it again. Changes up to `start` are in what it read.
      const head = hub.position;
      const moved = head.generation !== start.generation || head.frame !== start.frame;
      if (moved && changedSinceOnce(hub, start, derived)) group.hitAt = start;
      if (group.dirty || group.hitAt !== undefined) {
        group.dirty = false;
        group.hitAt ??= start;
        this.#pending.add(group);
      }
    }
    this.#schedule();
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

/** Whether two read-sets name the same tables with the same row filters. */
function sameReadSet(a: ReadSet, b: ReadSet): boolean {
  if (a === b) return true;
  if (a.tables.size !== b.tables.size) return false;
  for (const [table, filter] of a.tables) {
    const other = b.tables.get(table);
    if (other === undefined || other.kind !== filter.kind) return false;
    if (filter.kind === 'rowids' && other.kind === 'rowids') {
      if (filter.rowids.size !== other.rowids.size) return false;
      for (const rowid of filter.rowids) if (!other.rowids.has(rowid)) return false;
    }
  }
  return true;
}

/** UTF-8 size of a run's output, measured once per run (a shared run settles many groups). */
const outputSizes = new WeakMap<DerivedReadSet, number>();
function bytesOf(derived: DerivedReadSet): number {
  if (derived.output === undefined) return 0;
  let bytes = outputSizes.get(derived);
  if (bytes === undefined) {
    bytes = Buffer.byteLength(derived.output);
    outputSizes.set(derived, bytes);
  }
  return bytes;
}

/**
 * `hub.changedSince(start, readSet)` for one run: the groups sharing it have the same read-set and
 * start, and walking the history once per group (thousands at 1,000 viewers) was the bulk of a
 * shared run's cost.
 */
const changedAfterRun = new WeakMap<DerivedReadSet, boolean>();
function changedSinceOnce(hub: LiveQueryHub, start: FramePosition, derived: DerivedReadSet): boolean {
  let changed = changedAfterRun.get(derived);
  if (changed === undefined) {
    changed = hub.changedSince(start, derived.readSet);
    changedAfterRun.set(derived, changed);
  }
  return changed;
}
