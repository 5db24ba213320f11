import {
  createRouter,
  formatPositionId,
  liveQuery,
  liveRouter,
  mutation,
  type TablePermissions,
  tablePermissions,
} from '@liveframe/server';
import { z } from 'zod';
import { ownerOf } from './checker-schema.ts';
import { MUTATION_KINDS, type MutationKind, SENTINEL_MUTATION } from './mutation-kinds.ts';
import { ALL_SHAPES, type QueryShape, type Row, runSync } from './query-shapes.ts';

const queryInput = z.object({
  id: z.number().int().optional(),
  sku: z.string().max(50).optional(),
  lo: z.number().int().optional(),
  hi: z.number().int().optional(),
});

const mutationInput = z.object({
  id: z.number().int(),
  id2: z.number().int(),
  owner: z.number().int(),
  qty: z.number().int(),
  name: z.string().max(50),
  sku: z.string().max(50),
});

function liveShape(shape: QueryShape) {
  return liveQuery
    .input(queryInput)
    .query(({ ctx, input }) =>
      runSync(
        shape.run(input, ownerOf(ctx.identity)),
        ({ sql, params }) => ctx.db.all(sql, [...params]) as Row[],
      ),
    );
}

function writeKind(kind: MutationKind) {
  return mutation.input(mutationInput).mutation(async ({ ctx, input }) => {
    const { sql, params } = kind.statement(input);
    const { position } = await ctx.db.run(sql, params);
    return { frame: formatPositionId(position) };
  });
}

/** `mc.<shape>` live queries and `mc.<kind>` mutations, with the live protocol at `live`. */
export const checkerRouter = createRouter({
  live: liveRouter,
  mc: createRouter({
    ...Object.fromEntries(ALL_SHAPES.map((shape) => [shape.name, liveShape(shape)])),
    ...Object.fromEntries([...MUTATION_KINDS, SENTINEL_MUTATION].map((kind) => [kind.name, writeKind(kind)])),
  }),
});

export const checkerPermissions: TablePermissions = tablePermissions({ admin: '*' });
