import type { FramePosition, LiveQueryHub, PublishResult } from '@liveframe/reactive';
import { identityKey } from '../auth/identity.ts';
import { scopeOf } from '../auth/identity-access.ts';
import type { ReadSet } from '../db/database-contract.ts';
import { outputBytes, sameReadSet } from './run-outputs.ts';

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
  /** Its size in bytes (UTF-8), measured once per run. */
  readonly outputBytes: number;
}

/** A registration's handle on a group: the client's subscription and the key it names the query by. */
export interface GroupUser {
  readonly subscriptionId: string;
  readonly key: string;
}

/**
 * The live queries that run the same procedure on the same input and whose identities agree on
 * every identity field the latest execution read (its data scope: e.g. only the tenant and the
 * role): one execution serves them all, so they share one read-set, one hub registration and
 * one result. Registered in the hub under an id of its own (never a client's subscription id:
 * those match `[A-Za-z0-9_-]{8,128}`), so it keeps being matched while its users are away.
 */
interface Cohort {
  readonly id: string;
  readonly path: string;
  readonly input: unknown;
  /** `JSON.stringify([path, input])`: cohorts of one query are looked up by it. */
  readonly queryKey: string;
  readonly members: Set<QueryGroup>;
  /** The read-set of the latest finished execution; undefined until the first one finished. */
  readSet: ReadSet | undefined;
  /** Identity fields the latest execution read and the members' common values of them. */
  identityFields: readonly string[] | undefined;
  scope: string | undefined;
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
}

/**
 * Registered live queries of one (identity, path, input): what a registration holds. Its
 * read-set and result are its cohort's (the execution it shares with other identities of the
 * same data scope); it moves to another cohort when an execution shows that its identity
 * differs from the others' on a field the query reads.
 */
export class QueryGroup {
  readonly cacheKey: string;
  readonly identity: object;
  readonly path: string;
  readonly input: unknown;
  /** The first read-set this group can be registered with (registrations wait for it). */
  readonly ready: Promise<ReadSet>;
  /** Every registration using the group, attached or not, by `${subscriptionId}\0${key}`. */
  readonly users = new Map<string, GroupUser>();
  /** Registrations being set up that will use it (keeps it alive while they await `ready`). */
  holds = 0;
  cohort: Cohort;

  constructor(
    identity: object,
    path: string,
    input: unknown,
    cacheKey: string,
    cohort: Cohort,
    ready: Promise<ReadSet>,
  ) {
    this.identity = identity;
    this.path = path;
    this.input = input;
    this.cacheKey = cacheKey;
    this.cohort = cohort;
    this.ready = ready;
  }

  get readSet(): ReadSet | undefined {
    return this.cohort.readSet;
  }

  get output(): string | undefined {
    return this.cohort.output;
  }

  get outputAt(): FramePosition | undefined {
    return this.cohort.outputAt;
  }
}

const GROUP_KEY = 'read-set';

export interface LiveQueryGroupsOptions {
  readonly hub: LiveQueryHub;
  readonly derive: DeriveReadSet;
  /** A group's execution ran: its users get the new read-set, and push subscribers the changed result. */
  readonly onRun: (group: QueryGroup, run: GroupRun) => void;
  /** No run is in flight any more (the runs of a round all finished): push deliveries go out. */
  readonly onIdle?: () => void;
  /** Whether some user of the group receives pushed results (then runs capture the output). */
  readonly wantsOutput?: (group: QueryGroup) => boolean;
  readonly onError: (error: unknown) => void;
}

/**
 * The read-sets and results of live queries, each the exact set of rows and tables its latest
 * execution read, and the output it returned.
 *
 * A read-set can change with the data: a procedure that reads an order, then the customer the
 * order points to, reads another customer row once the order's foreign key moves; a procedure may
 * branch on what it read. No heuristic on parameter values can tell which executions depend on
 * data (a foreign key may equal an input value), so every change that hits a read-set runs the
 * query once more (in the background, after the change's events went out) and its read-set
 * becomes what that execution read. The re-registration uses the first hit as `since`, so a
 * change that lands while it runs is never lost.
 *
 * Work per change is per cohort, not per registration: the hub matches one registration per
 * distinct (query, data scope), and one execution settles it; only handing the result to each
 * user is per user. A new identity joins an existing cohort without running when it agrees with
 * it on every field the cohort's latest execution read (that execution would have been the
 * same). An execution that reads a field on which members disagree splits them: the others run
 * on their own.
 */
export class LiveQueryGroups {
  readonly #options: LiveQueryGroupsOptions;
  readonly #groups = new Map<string, QueryGroup>();
  readonly #byHubId = new Map<string, Cohort>();
  /** Settled cohorts by query, for new identities to join (queryKey → cohorts). */
  readonly #byQuery = new Map<string, Set<Cohort>>();
  readonly #pending = new Set<Cohort>();
  #scheduled = false;
  #closed = false;
  #nextId = 0;
  #runs = 0;
  #inFlight = 0;

  constructor(options: LiveQueryGroupsOptions) {
    this.#options = options;
  }

  /** Distinct (identity, query) pairs held. */
  get size(): number {
    return this.#groups.size;
  }

  /** Distinct executions held: one per (query, data scope). */
  get cohorts(): number {
    return this.#byHubId.size;
  }

  /** Executions made (registration and re-runs; shared ones count once). */
  get runs(): number {
    return this.#runs;
  }

  /** Whether a hub subscriber id is a group's (not a client's). */
  isGroupId(subscriberId: string): boolean {
    return this.#byHubId.has(subscriberId);
  }

  /**
   * The group of (identity, path, input), joined to a cohort of the same data scope or executed
   * once if none; held until {@link release} (or {@link use}) is called for this acquisition.
   */
  acquire(identity: object, path: string, input: unknown): QueryGroup {
    const key = identityKey(identity);
    const queryKey = JSON.stringify([path, input ?? null]);
    const cacheKey = `${key}\0${queryKey}`;
    let group = this.#groups.get(cacheKey);
    if (group === undefined) {
      const joined = this.#joinable(queryKey, identity);
      if (joined !== undefined) {
        group = new QueryGroup(identity, path, input, cacheKey, joined, Promise.resolve(joined.readSet!));
        joined.members.add(group);
      } else {
        group = this.#first(identity, path, input, queryKey, cacheKey);
      }
      this.#groups.set(cacheKey, group);
    }
    group.holds++;
    return group;
  }

  /** Turns one acquisition into a user of the group. */
  use(group: QueryGroup, user: GroupUser): void {
    group.holds--;
    group.users.set(userKey(user), user);
  }

  /** Drops one acquisition that did not become a user. */
  release(group: QueryGroup): void {
    group.holds--;
    this.#collect(group);
  }

  /** A user stopped using the group. */
  leave(group: QueryGroup, user: GroupUser): void {
    group.users.delete(userKey(user));
    this.#collect(group);
  }

  /** Runs the group again soon (e.g. a push subscriber needs its result and none was captured). */
  refresh(group: QueryGroup): void {
    this.#mark(group.cohort, this.#options.hub.position);
    this.#schedule();
  }

  /**
   * Called with every publish result: cohorts hit by the change, cohorts of queries a schema
   * change named, and on a refetch-all every cohort, run again.
   */
  afterPublish(result: PublishResult): void {
    if (result.refetchAll) {
      for (const cohort of this.#byHubId.values()) this.#mark(cohort, result.position);
    } else {
      for (const ref of result.rederive) this.#mark(this.#byHubId.get(ref.subscriberId), result.position);
      for (const subscriberId of result.matches.keys())
        this.#mark(this.#byHubId.get(subscriberId), result.position);
    }
    this.#schedule();
  }

  /** Schema changed in a way the hub could not attribute: every cohort runs again. */
  rederiveAll(): void {
    const position = this.#options.hub.position;
    for (const cohort of this.#byHubId.values()) this.#mark(cohort, position);
    this.#schedule();
  }

  close(): void {
    this.#closed = true;
    this.#groups.clear();
    this.#byHubId.clear();
    this.#byQuery.clear();
    this.#pending.clear();
  }

  /** A settled cohort of this query whose data scope `identity` shares, if any. */
  #joinable(queryKey: string, identity: object): Cohort | undefined {
    const candidates = this.#byQuery.get(queryKey);
    if (candidates === undefined) return undefined;
    for (const cohort of candidates) {
      const fields = cohort.identityFields;
      if (fields !== undefined && cohort.readSet !== undefined && scopeOf(identity, fields) === cohort.scope)
        return cohort;
    }
    return undefined;
  }

  /** A new cohort for a group no cohort can serve yet: its first execution runs now. */
  #first(identity: object, path: string, input: unknown, queryKey: string, cacheKey: string): QueryGroup {
    const cohort = this.#cohort(path, input, queryKey);
    const since = this.#options.hub.position;
    cohort.deriving = true;
    this.#runs++;
    const first = this.#options.derive(identity, path, input);
    const group = new QueryGroup(
      identity,
      path,
      input,
      cacheKey,
      cohort,
      first.then((derived) => derived.readSet),
    );
    cohort.members.add(group);
    first.then(
      (derived) => this.#settle(cohort, derived, identity, since, since),
      () => {
        cohort.deriving = false;
        // Nobody can use a group whose first execution failed: the next acquire runs it anew.
        for (const member of cohort.members) this.#forgetGroup(member);
        this.#forgetCohort(cohort);
      },
    );
    // The failure reaches every caller through `ready`; this handler only keeps it handled.
    group.ready.catch(() => undefined);
    return group;
  }

  #cohort(path: string, input: unknown, queryKey: string): Cohort {
    const cohort: Cohort = {
      id: `group:${++this.#nextId}`,
      path,
      input,
      queryKey,
      members: new Set(),
      readSet: undefined,
      identityFields: undefined,
      scope: undefined,
      deriving: false,
      dirty: false,
      hitAt: undefined,
      output: undefined,
      outputAt: undefined,
    };
    this.#byHubId.set(cohort.id, cohort);
    return cohort;
  }

  #mark(cohort: Cohort | undefined, at: FramePosition): void {
    if (cohort === undefined) return;
    cohort.hitAt ??= at;
    this.#pending.add(cohort);
  }

  #schedule(): void {
    if (this.#scheduled || this.#pending.size === 0) return;
    this.#scheduled = true;
    // After the current events went out: re-running is never on the invalidation's path.
    setImmediate(() => {
      this.#scheduled = false;
      const cohorts = [...this.#pending];
      this.#pending.clear();
      for (const cohort of cohorts) {
        if (this.#closed || this.#byHubId.get(cohort.id) !== cohort) continue;
        if (cohort.deriving) cohort.dirty = true;
        else this.#run(cohort);
      }
    });
  }

  #run(cohort: Cohort): void {
    const leader = cohort.members.values().next().value;
    if (leader === undefined) return;
    // The execution reads at least at `start` (the read floor): it sees every change published so far.
    const start = this.#options.hub.position;
    const since = cohort.hitAt ?? start;
    cohort.deriving = true;
    cohort.dirty = false;
    cohort.hitAt = undefined;
    let output = false;
    for (const member of cohort.members) {
      if (this.#options.wantsOutput?.(member) === true) {
        output = true;
        break;
      }
    }
    this.#runs++;
    this.#inFlight++;
    this.#options
      .derive(leader.identity, cohort.path, cohort.input, { output })
      .then(
        (derived) => this.#settle(cohort, derived, leader.identity, since, start),
        (error: unknown) => {
          // A query that now fails (e.g. forbidden after a schema change) keeps its last read-set.
          cohort.deriving = false;
          cohort.hitAt ??= since;
          if (cohort.dirty) this.#pending.add(cohort);
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

  #settle(
    cohort: Cohort,
    derived: DerivedReadSet,
    leader: object,
    since: FramePosition,
    start: FramePosition,
  ): void {
    cohort.deriving = false;
    if (this.#closed || this.#byHubId.get(cohort.id) !== cohort) return;
    const fields = derived.identityFields;
    const scope = fields === undefined ? identityKey(leader) : scopeOf(leader, fields);
    // Members that differ from the leader on a field this execution read did not get their own
    // result: they leave for a cohort of their own, which runs for them.
    const others = new Map<string, QueryGroup[]>();
    // Members agree on the fields the previous execution read (they joined, or stayed, on them):
    // only an execution that read other fields can set them apart.
    const recheck =
      fields === undefined || !sameFields(fields, cohort.identityFields) || scope !== cohort.scope;
    for (const member of recheck ? cohort.members : []) {
      if (member.identity === leader) continue;
      const theirs = fields === undefined ? identityKey(member.identity) : scopeOf(member.identity, fields);
      if (theirs === scope) continue;
      const list = others.get(theirs);
      if (list === undefined) others.set(theirs, [member]);
      else list.push(member);
    }
    for (const members of others.values()) this.#split(cohort, members, since);

    const { readSet } = derived;
    const unchanged = cohort.readSet !== undefined && sameReadSet(cohort.readSet, readSet);
    cohort.readSet = readSet;
    cohort.identityFields = fields;
    cohort.scope = fields === undefined ? undefined : scope;
    if (derived.output === undefined) {
      // Not captured (no push user when it began): what the query returns now is not known, and
      // an older output must not go out tagged with this run's position.
      cohort.output = undefined;
      cohort.outputAt = undefined;
    } else if (derived.output !== cohort.output) {
      cohort.output = derived.output;
      cohort.outputAt = start;
    }
    if (!unchanged) this.#options.hub.registerQuery({ subscriberId: cohort.id, key: GROUP_KEY, readSet });
    const run: GroupRun = {
      readSet,
      since,
      at: start,
      output: derived.output,
      outputBytes: outputBytes(derived),
    };
    for (const member of cohort.members) this.#options.onRun(member, run);
    // A change the execution could not see (published after `start`) may already have moved
    // what it should read: run it again. Changes up to `start` are in what it read.
    const head = this.#options.hub.position;
    const moved = head.generation !== start.generation || head.frame !== start.frame;
    if (moved && this.#options.hub.changedSince(start, readSet)) cohort.hitAt ??= start;
    if (cohort.dirty || cohort.hitAt !== undefined) {
      cohort.dirty = false;
      cohort.hitAt ??= start;
      this.#pending.add(cohort);
    }
    this.#index(cohort);
    this.#schedule();
  }

  /**
   * Moves `members` (one data scope other than the cohort's) to a cohort of their own that holds
   * the read-set they had until now and runs for them; changes since `since` count as hits.
   */
  #split(from: Cohort, members: QueryGroup[], since: FramePosition): void {
    const cohort = this.#cohort(from.path, from.input, from.queryKey);
    cohort.readSet = from.readSet;
    for (const member of members) {
      from.members.delete(member);
      member.cohort = cohort;
      cohort.members.add(member);
    }
    if (cohort.readSet !== undefined)
      this.#options.hub.registerQuery({ subscriberId: cohort.id, key: GROUP_KEY, readSet: cohort.readSet });
    cohort.hitAt = since;
    this.#pending.add(cohort);
  }

  /**
   * Makes a settled cohort joinable by its scope; a cohort of the same query and scope that
   * already exists (two first executions raced) takes its members instead.
   */
  #index(cohort: Cohort): void {
    let cohorts = this.#byQuery.get(cohort.queryKey);
    if (cohort.identityFields === undefined) {
      cohorts?.delete(cohort);
      return;
    }
    if (cohorts === undefined) {
      cohorts = new Set();
      this.#byQuery.set(cohort.queryKey, cohorts);
    }
    for (const other of cohorts) {
      if (
        other !== cohort &&
        other.scope === cohort.scope &&
        sameFields(other.identityFields, cohort.identityFields)
      ) {
        this.#merge(cohort, other);
        return;
      }
    }
    cohorts.add(cohort);
  }

  /**
   * `from` and `into` run the same query for the same data scope: `into` takes the members.
   * Changes that hit `from` and were not run for yet become hits of `into`; a run of `into` in
   * flight started without knowing them, so it runs once more.
   */
  #merge(from: Cohort, into: Cohort): void {
    for (const member of from.members) {
      member.cohort = into;
      into.members.add(member);
    }
    from.members.clear();
    if (from.hitAt !== undefined || this.#pending.has(from)) {
      into.hitAt = earliest(into.hitAt, from.hitAt ?? this.#options.hub.position);
      this.#pending.add(into);
    }
    if (into.deriving) into.dirty = true;
    this.#forgetCohort(from);
  }

  #collect(group: QueryGroup): void {
    if (group.users.size > 0 || group.holds > 0) return;
    this.#forgetGroup(group);
    if (group.cohort.members.size === 0) this.#forgetCohort(group.cohort);
  }

  #forgetGroup(group: QueryGroup): void {
    if (this.#groups.get(group.cacheKey) === group) this.#groups.delete(group.cacheKey);
    group.cohort.members.delete(group);
  }

  #forgetCohort(cohort: Cohort): void {
    if (this.#byHubId.get(cohort.id) !== cohort) return;
    this.#byHubId.delete(cohort.id);
    const cohorts = this.#byQuery.get(cohort.queryKey);
    cohorts?.delete(cohort);
    if (cohorts?.size === 0) this.#byQuery.delete(cohort.queryKey);
    this.#pending.delete(cohort);
    if (!this.#closed) this.#options.hub.releaseSubscriber(cohort.id);
  }
}

function userKey(user: GroupUser): string {
  return `${user.subscriptionId}\0${user.key}`;
}

function sameFields(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  return a.every((field, index) => field === b[index]);
}

function earliest(a: FramePosition | undefined, b: FramePosition): FramePosition {
  if (a === undefined) return b;
  if (a.generation !== b.generation) return b;
  return a.frame <= b.frame ? a : b;
}
