import {
  type Database,
  f32Blob,
  fromF32Blob,
  openDatabase,
  toF32Blob,
  topKSql,
  vectorIndexSql,
} from '@liveframe/db-core';

/**
 * Similarity search with libSQL's native vectors: an `F32_BLOB(n)` column, a `libsql_vector_idx`
 * index (DiskANN) and `vector_top_k` for the nearest rows. The embeddings here are tiny and
 * hand-made so the results are easy to check; real ones come from an embedding model and have
 * hundreds of dimensions (up to 65536).
 *
 * Dimensions: [sweet, savoury, spicy, cold, drink].
 */
export const DIMENSIONS = 5;

export const RECIPES: readonly { name: string; embedding: readonly number[] }[] = [
  { name: 'lemonade', embedding: [0.8, 0, 0, 0.9, 1] },
  { name: 'iced tea', embedding: [0.5, 0, 0, 1, 1] },
  { name: 'hot chocolate', embedding: [1, 0, 0, 0, 1] },
  { name: 'chili', embedding: [0, 0.8, 1, 0, 0] },
  { name: 'curry', embedding: [0.1, 0.9, 0.8, 0, 0] },
  { name: 'gazpacho', embedding: [0, 0.7, 0.2, 1, 0.3] },
  { name: 'ice cream', embedding: [1, 0, 0, 1, 0] },
  { name: 'spicy margarita', embedding: [0.4, 0, 0.7, 0.8, 1] },
];

const INDEX = 'recipe_embedding_idx';

export async function openRecipeDatabase(path: string): Promise<Database> {
  const db = await openDatabase({ mode: 'local', path });
  await db.exec(
    `CREATE TABLE IF NOT EXISTS recipe(id INTEGER PRIMARY KEY, name TEXT NOT NULL, embedding ${f32Blob(DIMENSIONS)} NOT NULL)`,
  );
  await db.exec(
    `${vectorIndexSql(INDEX, 'recipe', 'embedding', { metric: 'cosine' }).replace('CREATE INDEX', 'CREATE INDEX IF NOT EXISTS')}`,
  );
  return db;
}

export async function addRecipes(
  db: Database,
  recipes: readonly { name: string; embedding: readonly number[] }[],
): Promise<void> {
  await db.transaction(async (tx) => {
    for (const r of recipes) {
      await tx.run('INSERT INTO recipe(name, embedding) VALUES (?, ?)', [r.name, toF32Blob(r.embedding)]);
    }
  });
}

export interface Neighbour {
  readonly id: number;
  readonly name: string;
  /** Cosine distance: 0 = same direction, 1 = orthogonal, 2 = opposite. */
  readonly distance: number;
}

/** The k nearest recipes through the vector index (approximate nearest neighbours). */
export function nearest(db: Database, query: readonly number[], k: number): Neighbour[] {
  return db
    .all<{ id: number; name: string; distance: number }>(topKSql(INDEX, 'recipe', 'embedding', 'cos'), [
      toF32Blob(query),
      k,
    ])
    .map(({ id, name, distance }) => ({ id, name, distance }));
}

/** The same question answered exactly, by scanning every row (the reference the index is checked against). */
export function nearestByScan(db: Database, query: readonly number[], k: number): Neighbour[] {
  return db.all<{ id: number; name: string; distance: number }>(
    'SELECT id, name, vector_distance_cos(embedding, ?1) AS distance FROM recipe ORDER BY distance, id LIMIT ?2',
    [toF32Blob(query), k],
  );
}

/** Reads a stored embedding back as numbers. */
export function embeddingOf(db: Database, name: string): Float32Array | undefined {
  const row = db.get('SELECT embedding FROM recipe WHERE name = ?', [name]);
  return row === undefined ? undefined : fromF32Blob(row.embedding ?? null);
}

export function similarTo(db: Database, name: string, k: number): Neighbour[] {
  const embedding = embeddingOf(db, name);
  if (embedding === undefined) return [];
  return nearest(db, Array.from(embedding), k + 1).filter((n) => n.name !== name);
}
