import { isDbError } from '@liveframe/db-core';
import { addonPath } from '@liveframe/native';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../shared/temp-dir.ts';
import {
  addArticle,
  hasFts5,
  openSearchDatabase,
  search,
  searchReadSet,
  toMatchQuery,
} from './article-search.ts';

describe('fts-search', () => {
  it('finds articles by prefix with bm25 ranking and highlighted snippets', async () => {
    using dir = tempDir('fts');
    await using db = await openSearchDatabase(dir.file('s.db'));
    expect(hasFts5(db)).toBe(true);
    const a = await addArticle(db, 'Replicas', 'replica replica replica frames');
    const b = await addArticle(db, 'Other', 'one replica mention among many other words here');
    await addArticle(db, 'Unrelated', 'nothing to see');
    const hits = search(db, 'replic');
    expect(hits.map((h) => h.id)).toEqual([a, b]);
    expect(hits[0]?.snippet).toContain('[replica]');
    expect(hits[0]!.rank).toBeLessThan(hits[1]!.rank);
  });

  it('keeps the index in step with updates and deletes through triggers', async () => {
    using dir = tempDir('fts');
    await using db = await openSearchDatabase(dir.file('s.db'));
    const id = await addArticle(db, 'Draft', 'about frames');
    expect(search(db, 'frames').map((h) => h.id)).toEqual([id]);
    await db.run('UPDATE article SET body = ? WHERE id = ?', ['about vectors', id]);
    expect(search(db, 'frames')).toEqual([]);
    expect(search(db, 'vectors').map((h) => h.id)).toEqual([id]);
    await db.run('DELETE FROM article WHERE id = ?', [id]);
    expect(search(db, 'vectors')).toEqual([]);
  });

  it('neutralises FTS5 syntax in user input', async () => {
    using dir = tempDir('fts');
    await using db = await openSearchDatabase(dir.file('s.db'));
    await addArticle(db, 'Quotes', 'say "hello" AND goodbye');
    expect(toMatchQuery('he" OR (')).toBe('"he"* "OR"*');
    expect(search(db, '"hello" AND (')).toHaveLength(1);
    expect(search(db, '  ')).toEqual([]);
  });

  it('gives the live search query a read-set on the content table (the FTS table alone has none)', async () => {
    using dir = tempDir('fts');
    await using db = await openSearchDatabase(dir.file('s.db'));
    expect([...searchReadSet(db, 'x').tables.keys()]).toEqual(['article']);
    expect(db.readSet('SELECT rowid FROM article_fts WHERE article_fts MATCH ?', ['x']).tables.size).toBe(0);
  });

  it('loads only extensions named in allowedExtensions', async () => {
    using dir = tempDir('fts');
    // liveframe's own addon is a SQLite loadable extension, so it serves as an allowed example.
    await using db = await openSearchDatabase(dir.file('s.db'), [addonPath()]);
    let refused: unknown;
    try {
      db.loadExtension(dir.file('not-allowed.so'));
    } catch (error) {
      refused = error;
    }
    expect(isDbError(refused, 'EXTENSION_NOT_ALLOWED')).toBe(true);
    db.loadExtension(addonPath());
    expect(db.get<{ id: number }>('SELECT liveframe_conn_id() AS id')?.id).toBeGreaterThan(0);
  });
});
