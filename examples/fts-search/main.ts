import { tempDir } from '../shared/temp-dir.ts';
import { addArticle, hasFts5, openSearchDatabase, search, searchReadSet } from './article-search.ts';

using dir = tempDir('fts');
await using db = await openSearchDatabase(dir.file('search.db'));
console.log(`FTS5 compiled in: ${hasFts5(db)}`);

await addArticle(
  db,
  'Embedded replicas',
  'A replica syncs frames from the primary and serves reads locally.',
);
await addArticle(
  db,
  'Read your writes',
  'A mutation answers with its frame; the next read waits for that frame.',
);
await addArticle(db, 'Change capture', 'Native hooks report every committed row change in local mode.');
const id = await addArticle(db, 'Vectors', 'Similarity search over F32_BLOB columns with a vector index.');

for (const query of ['frame', 'replic', 'commit* hook']) {
  console.log(`\nsearch "${query}":`);
  for (const hit of search(db, query)) console.log(`  #${hit.id} ${hit.title}: ${hit.snippet}`);
}

await db.run('UPDATE article SET body = ? WHERE id = ?', ['Nearest neighbours by cosine distance.', id]);
console.log(
  '\nafter an update, "cosine" finds:',
  search(db, 'cosine').map((h) => h.title),
);
console.log(
  'and "F32_BLOB" (only in the old text) finds:',
  search(db, 'F32_BLOB').map((h) => h.title),
);
console.log('read-set of the live search query:', [...searchReadSet(db, 'frame').tables.keys()]);
