import { toF32Blob, topKSql } from '@liveframe/db-core';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../shared/temp-dir.ts';
import {
  addRecipes,
  DIMENSIONS,
  embeddingOf,
  nearest,
  nearestByScan,
  openRecipeDatabase,
  RECIPES,
  similarTo,
} from './recipe-vectors.ts';

describe('vector-search', () => {
  it('answers nearest-neighbour queries through the index like an exact scan', async () => {
    using dir = tempDir('vectors');
    await using db = await openRecipeDatabase(dir.file('r.db'));
    await addRecipes(db, RECIPES);
    const query = [1, 0, 0, 1, 1];
    const viaIndex = nearest(db, query, 3);
    expect(viaIndex.map((n) => n.name)).toEqual(nearestByScan(db, query, 3).map((n) => n.name));
    expect(viaIndex[0]?.name).toBe('lemonade');
    const distances = viaIndex.map((n) => n.distance);
    expect(distances).toEqual([...distances].sort((a, b) => a - b));
    expect(nearest(db, [0, 0.5, 1, 0, 0], 2).map((n) => n.name)).toEqual(['chili', 'curry']);
    expect(similarTo(db, 'curry', 1).map((n) => n.name)).toEqual(['chili']);
  });

  it('round-trips embeddings as F32_BLOB and rejects the wrong dimension count', async () => {
    using dir = tempDir('vectors');
    await using db = await openRecipeDatabase(dir.file('r.db'));
    await addRecipes(db, RECIPES);
    expect(Array.from(embeddingOf(db, 'iced tea') ?? [])).toEqual([0.5, 0, 0, 1, 1]);
    await expect(
      db.run('INSERT INTO recipe(name, embedding) VALUES (?, ?)', ['bad', toF32Blob([1, 2])]),
    ).rejects.toMatchObject({ name: 'DbError' });
    expect(DIMENSIONS).toBe(5);
  });

  it('sees new rows at once and gives live top-k queries a read-set on the table', async () => {
    using dir = tempDir('vectors');
    await using db = await openRecipeDatabase(dir.file('r.db'));
    await addRecipes(db, RECIPES);
    await addRecipes(db, [{ name: 'vindaloo', embedding: [0, 0.5, 1, 0, 0] }]);
    expect(nearest(db, [0, 0.5, 1, 0, 0], 1).map((n) => n.name)).toEqual(['vindaloo']);
    const readSet = db.readSet(topKSql('recipe_embedding_idx', 'recipe', 'embedding'), [
      toF32Blob([1, 0, 0, 0, 0]),
      3,
    ]);
    expect(readSet.tables.has('recipe')).toBe(true);
  });
});
