import type { StepKind } from './workload.ts';

/**
 * What a run's random steps may do. `mixed` exercises everything; each of the others enables the
 * trigger of exactly one known class of missed invalidation and leaves the others unobservable
 * (e.g. no owner row ever changes, so a stale foreign-key read-set cannot show), so a violation
 * under it names its cause.
 */
export interface WorkloadProfile {
  readonly name: string;
  readonly steps: Readonly<Partial<Record<StepKind, number>>>;
  /** Mutation kinds and their weights; absent kinds never run. */
  readonly mutations: Readonly<Record<string, number>>;
  /** Probability that a foreign-key move gives the item the owner with its own id (else never). */
  readonly ownerEqualsId: number;
  /** Shapes mounted (all when absent). */
  readonly shapes?: readonly string[];
  /** Ids the foreign-key-follow query is mounted with (all when absent). */
  readonly fkQueryIds?: readonly number[];
  /** Replica servers (default 3); one server makes same-identity clients share read-set caches. */
  readonly servers?: number;
  /** Clients (default 8) and the queries each mounts before the first step (default 3). */
  readonly clients?: number;
  readonly initialMounts?: number;
  /** A mount first unmounts the client's other queries (one query per client, like a page showing one item). */
  readonly singleQuery?: boolean;
  /** Steps between two quiescence checks (default 8); every check reconnects the away clients. */
  readonly batch?: number;
  /**
   * Identities the clients are spread over, in pairs (default: every checker token); 1 puts every
   * client on one identity, so any two clients on a server share its read-set cache.
   */
  readonly identities?: number;
  /**
   * Probability that a disconnect takes a client that is the only connected one of its identity
   * (and server) holding some query, that a mount mounts a query a disconnected client of the same
   * identity and server holds and whose item moved meanwhile (on a client that does not hold it),
   * and that a write moves the item of a query only disconnected clients hold (never when absent).
   * Other moves then leave the items moved that way alone.
   */
  readonly awayKeys?: number;
  /**
   * Probability that a write renames the owner a move gave an item while only disconnected clients
   * held its query, once an open stream holds that query again (never when absent).
   */
  readonly renameMoved?: number;
}

const ALL_STEPS: Record<StepKind, number> = {
  write: 40,
  mount: 14,
  unmount: 5,
  disconnect: 7,
  reconnect: 8,
  move: 5,
  resend: 7,
  'resend-reconnect': 5,
};

export const PROFILES: Readonly<Record<string, WorkloadProfile>> = {
  mixed: {
    name: 'mixed',
    steps: ALL_STEPS,
    mutations: {
      insertItem: 2,
      bumpQty: 2,
      moveItem: 5,
      renameOwner: 5,
      replaceItem: 3,
      updateOrReplaceSku: 2,
      deleteItem: 1,
      upsertOwner: 2,
      upsertItem: 2,
      deleteOwner: 1,
    },
    ownerEqualsId: 0.5,
  },
  /** Defect class 1: rows deleted by a REPLACE conflict. No owner changes, no re-sends. */
  'replace-conflict': {
    name: 'replace-conflict',
    steps: { write: 50, mount: 20, unmount: 5, disconnect: 5, reconnect: 5, move: 5 },
    mutations: { replaceItem: 4, updateOrReplaceSku: 3, insertItem: 2, upsertItem: 2, bumpQty: 1 },
    ownerEqualsId: 0,
  },
  /** Defect class 2: a `replace: true` re-send of held keys, then a quick reconnect. No owner changes, no REPLACE. */
  'resend-resume': {
    name: 'resend-resume',
    steps: { write: 50, mount: 15, 'resend-reconnect': 15 },
    mutations: { insertItem: 2, bumpQty: 3, moveItem: 3, deleteItem: 1, upsertItem: 2 },
    ownerEqualsId: 0,
  },
  /**
   * Defect class 3: a foreign-key query's read-set cached while every session holding it is away
   * (stream ended, session in its grace period): the item moves, then a client of the same identity
   * mounts the same query (or the away one comes back) and the new owner is renamed. One server,
   * one identity; no re-sends, no REPLACE, the foreign key never equals the input.
   */
  'shared-cache': {
    name: 'shared-cache',
    steps: { write: 45, mount: 12, disconnect: 16, reconnect: 4 },
    mutations: { moveItem: 3, renameOwner: 5 },
    ownerEqualsId: 0,
    shapes: ['itemWithOwner'],
    fkQueryIds: [2, 4],
    servers: 1,
    clients: 3,
    initialMounts: 1,
    identities: 1,
    awayKeys: 0.8,
    renameMoved: 0.9,
    singleQuery: true,
    batch: 12,
  },
  /** Defect class 4: a `replace: true` re-send of an FK query, no reconnect. Key never equals the input. */
  'resend-fk': {
    name: 'resend-fk',
    steps: { write: 50, mount: 15, resend: 15 },
    mutations: { moveItem: 5, renameOwner: 5 },
    ownerEqualsId: 0,
    shapes: ['itemWithOwner'],
    fkQueryIds: [2, 4],
  },
  /** Defect class 5: the foreign key equals the input id. No re-sends, no reconnects. */
  'fk-equals-input': {
    name: 'fk-equals-input',
    steps: { write: 60, mount: 15 },
    mutations: { moveItem: 5, renameOwner: 5 },
    ownerEqualsId: 0.5,
    shapes: ['itemWithOwner'],
  },
};
