import { ID_RANGE } from './checker-schema.ts';
import { MUTATION_KINDS, type MutationArgs, type MutationKind } from './mutation-kinds.ts';
import { QUERY_SHAPES, type QueryInput, type QueryShape } from './query-shapes.ts';
import type { SeededRandom } from './seeded-random.ts';
import type { WorkloadProfile } from './workload-profiles.ts';

/** What one workload step does; drawn from the PRNG and the clients' current state. */
export type StepKind =
  | 'write'
  | 'mount'
  | 'unmount'
  | 'disconnect'
  | 'reconnect'
  | 'move'
  | 'resend'
  | 'resend-reconnect';

export function randomId(random: SeededRandom): number {
  return random.int(1, ID_RANGE);
}

export function randomStep(random: SeededRandom, profile: WorkloadProfile): StepKind {
  const weights = Object.entries(profile.steps).map(([kind, weight]) => ({ kind: kind as StepKind, weight }));
  return random.weighted(weights).kind;
}

export function randomInput(random: SeededRandom, shape: QueryShape, profile?: WorkloadProfile): QueryInput {
  const input: { id?: number; sku?: string; lo?: number; hi?: number } = {};
  for (const field of shape.inputs) {
    if (field === 'id') {
      input.id =
        shape.name === 'itemWithOwner' && profile?.fkQueryIds !== undefined
          ? random.pick(profile.fkQueryIds)
          : randomId(random);
    } else if (field === 'sku') input.sku = `s${randomId(random)}`;
    else if (field === 'range') {
      input.lo = random.int(0, 10);
      input.hi = input.lo + random.int(0, 6);
    } else input.lo = random.int(0, 16);
  }
  return input;
}

/** Shapes weighted towards the foreign-key follow, whose read-set depends on the data. */
export function randomShape(random: SeededRandom, profile: WorkloadProfile): QueryShape {
  if (profile.shapes !== undefined) {
    const names = profile.shapes;
    return random.pick(QUERY_SHAPES.filter((s) => names.includes(s.name)));
  }
  return random.chance(0.3)
    ? QUERY_SHAPES.find((s) => s.name === 'itemWithOwner')!
    : random.pick(QUERY_SHAPES);
}

/** What the harness knows that targeted profiles aim writes at (see WorkloadProfile). */
export interface MutationTargets {
  /** Items whose foreign-key query only disconnected clients hold (`awayKeys`). */
  readonly awayItemIds?: readonly number[];
  /** Items moved while only disconnected clients held their query, not moved since (`awayKeys`). */
  readonly movedWhileAway?: readonly number[];
  /** The owners those moves gave items whose query an open stream holds again (`renameMoved`). */
  readonly strandedOwners?: readonly number[];
  /** The current owner of each item in `awayItemIds`: a targeted move gives it another one. */
  readonly currentOwners?: ReadonlyMap<number, number | null>;
}

export function randomMutation(
  random: SeededRandom,
  step: number,
  profile: WorkloadProfile,
  targets: MutationTargets = {},
): { kind: MutationKind; args: MutationArgs } {
  const kinds = MUTATION_KINDS.filter((k) => profile.mutations[k.name] !== undefined).map((k) => ({
    kind: k,
    weight: profile.mutations[k.name]!,
  }));
  // Targeted writes draw only under profiles that ask, so the others' workloads stay as they were.
  const away = targets.awayItemIds ?? [];
  const stranded = targets.strandedOwners ?? [];
  let movedId: number | undefined;
  let renamedOwner: number | undefined;
  let kind: MutationKind;
  if (profile.awayKeys !== undefined && away.length > 0 && random.chance(profile.awayKeys)) {
    kind = MUTATION_KINDS.find((k) => k.name === 'moveItem')!;
    movedId = random.pick(away);
  } else if (profile.renameMoved !== undefined && stranded.length > 0 && random.chance(profile.renameMoved)) {
    kind = MUTATION_KINDS.find((k) => k.name === 'renameOwner')!;
    renamedOwner = random.pick(stranded);
  } else {
    kind = random.weighted(kinds).kind;
  }
  // Focused profiles move the items their foreign-key queries follow.
  let id =
    kind.name === 'moveItem' && profile.fkQueryIds !== undefined
      ? random.pick(profile.fkQueryIds)
      : randomId(random);
  if (movedId !== undefined) id = movedId;
  else if (kind.name === 'moveItem' && profile.awayKeys !== undefined && profile.fkQueryIds !== undefined) {
    // Another move of an item moved while its query was away would re-derive that read-set (and
    // hide what the targeted writes expose): move the others, or an item no query follows.
    const moved = targets.movedWhileAway ?? [];
    const others = profile.fkQueryIds.filter((i) => !moved.includes(i));
    const spare = Array.from({ length: ID_RANGE }, (_, i) => i + 1).filter(
      (i) => !profile.fkQueryIds!.includes(i),
    );
    if (moved.includes(id)) id = random.pick(others.length > 0 ? others : spare);
  }
  let id2 = randomId(random);
  if (id2 === id) id2 = (id % ID_RANGE) + 1;
  // Some moves give an item the owner with its own id (the foreign key equals the input); the
  // others never do.
  let owner = randomId(random);
  if (kind.name === 'moveItem' || kind.name === 'upsertItem') {
    const current = movedId === undefined ? undefined : targets.currentOwners?.get(movedId);
    if (random.chance(profile.ownerEqualsId)) owner = id;
    else while (owner === id || owner === current) owner = (owner % ID_RANGE) + 1;
  }
  if (renamedOwner !== undefined) owner = renamedOwner;
  return {
    kind,
    args: {
      id,
      id2,
      owner,
      qty: random.int(0, 12),
      name: `n${step}-${random.int(0, 99)}`,
      sku: `s${random.int(1, ID_RANGE + 1)}`,
    },
  };
}
