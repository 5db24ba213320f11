import { ID_RANGE } from './checker-schema.ts';
import { MUTATION_KINDS, type MutationArgs, type MutationKind } from './mutation-kinds.ts';
import { QUERY_SHAPES, type QueryInput, type QueryShape } from './query-shapes.ts';
import type { SeededRandom } from './seeded-random.ts';

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

/**
 * Relative step frequencies. `resend-reconnect` is the client's A -> B -> A pattern: a
 * `replace: true` registration of the same set, then a quick reconnect to the same server.
 */
export const STEP_WEIGHTS: readonly { readonly kind: StepKind; readonly weight: number }[] = [
  { kind: 'write', weight: 40 },
  { kind: 'mount', weight: 14 },
  { kind: 'unmount', weight: 5 },
  { kind: 'disconnect', weight: 7 },
  { kind: 'reconnect', weight: 8 },
  { kind: 'move', weight: 5 },
  { kind: 'resend', weight: 7 },
  { kind: 'resend-reconnect', weight: 5 },
];

export function randomId(random: SeededRandom): number {
  return random.int(1, ID_RANGE);
}

export function randomInput(random: SeededRandom, shape: QueryShape): QueryInput {
  const input: { id?: number; sku?: string; lo?: number; hi?: number } = {};
  for (const field of shape.inputs) {
    if (field === 'id') input.id = randomId(random);
    else if (field === 'sku') input.sku = `s${randomId(random)}`;
    else if (field === 'range') {
      input.lo = random.int(0, 10);
      input.hi = input.lo + random.int(0, 6);
    } else input.lo = random.int(0, 16);
  }
  return input;
}

/** Shapes weighted towards the foreign-key follow, whose read-set depends on the data. */
export function randomShape(random: SeededRandom): QueryShape {
  return random.chance(0.3)
    ? QUERY_SHAPES.find((s) => s.name === 'itemWithOwner')!
    : random.pick(QUERY_SHAPES);
}

export function randomMutation(
  random: SeededRandom,
  step: number,
): { kind: MutationKind; args: MutationArgs } {
  const kind = random.weighted(MUTATION_KINDS);
  const id = randomId(random);
  let id2 = randomId(random);
  if (id2 === id) id2 = (id % ID_RANGE) + 1;
  // Half the moves give an item the owner with its own id: the foreign key equals the input.
  const owner = kind.name === 'moveItem' && random.chance(0.5) ? id : randomId(random);
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
