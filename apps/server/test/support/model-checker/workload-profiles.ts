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
  /** Defect class 3: an identical FK query mounted while its twin's session is away. Key never equals the input. */
  'shared-cache': {
    name: 'shared-cache',
    steps: { write: 45, mount: 15, unmount: 8, disconnect: 12, reconnect: 12 },
    mutations: { moveItem: 5, renameOwner: 5 },
    ownerEqualsId: 0,
    shapes: ['itemWithOwner'],
    fkQueryIds: [2, 4],
    servers: 1,
    clients: 4,
    initialMounts: 1,
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
