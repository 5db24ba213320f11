import { toF32Blob, topKSql } from '@liveframe/db-core';
import { tempDir } from '../shared/temp-dir.ts';
import { addRecipes, nearest, openRecipeDatabase, RECIPES, similarTo } from './recipe-vectors.ts';

using dir = tempDir('vectors');
await using db = await openRecipeDatabase(dir.file('recipes.db'));
await addRecipes(db, RECIPES);

const format = (list: { name: string; distance: number }[]) =>
  list.map((n) => `${n.name} (${n.distance.toFixed(3)})`).join(', ');

// [sweet, savoury, spicy, cold, drink]
console.log('something cold and sweet to drink:', format(nearest(db, [1, 0, 0, 1, 1], 3)));
console.log('something hot and spicy to eat:   ', format(nearest(db, [0, 0.5, 1, 0, 0], 3)));
console.log('similar to curry:                 ', format(similarTo(db, 'curry', 2)));
const topK = topKSql('recipe_embedding_idx', 'recipe', 'embedding');
console.log('read-set of the top-k query:', [
  ...db.readSet(topK, [toF32Blob([1, 0, 0, 0, 0]), 3]).tables.keys(),
]);
