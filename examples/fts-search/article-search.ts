import { type Database, openDatabase, type ReadSet } from '@liveframe/db-core';

/**
 * Full-text search with SQLite's FTS5, which libSQL 0.5.29 has compiled in (`ENABLE_FTS5` in
 * `PRAGMA compile_options`): no extension to load. The index is an external-content FTS5 table
 * over `article`, kept in step by triggers, so the text is stored once.
 */
export const SEARCH_SCHEMA = `
CREATE TABLE IF NOT EXISTS article (
  id INTEGER PRIMARY KEY,
  title TEXT NOT NULL,
  body TEXT NOT NULL
);
CREATE VIRTUAL TABLE IF NOT EXISTS article_fts USING fts5(
  title, body, content = 'article', content_rowid = 'id', tokenize = 'porter unicode61'
);
CREATE TRIGGER IF NOT EXISTS article_ai AFTER INSERT ON article BEGIN
  INSERT INTO article_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
END;
CREATE TRIGGER IF NOT EXISTS article_ad AFTER DELETE ON article BEGIN
  INSERT INTO article_fts(article_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
END;
CREATE TRIGGER IF NOT EXISTS article_au AFTER UPDATE ON article BEGIN
  INSERT INTO article_fts(article_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
  INSERT INTO article_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
END;
`;

export interface SearchHit {
  readonly id: number;
  readonly title: string;
  /** The matching part of the body with the terms in [brackets]. */
  readonly snippet: string;
  /** bm25 score: lower is better (FTS5 returns it negated). */
  readonly rank: number;
}

/**
 * The search query. It joins the content table on purpose: FTS5 is a virtual table, and the
 * engine's plan (which liveframe reads to learn a live query's read-set) names only real tables,
 * so a query over `article_fts` alone would have an empty read-set and never be invalidated.
 */
export const SEARCH_SQL = `
SELECT a.id, a.title,
       snippet(article_fts, 1, '[', ']', '…', 12) AS snippet,
       bm25(article_fts, 10.0, 1.0) AS rank
  FROM article_fts
  JOIN article a ON a.id = article_fts.rowid
 WHERE article_fts MATCH ?
 ORDER BY rank
 LIMIT ?`;

export async function openSearchDatabase(
  path: string,
  allowedExtensions: readonly string[] = [],
): Promise<Database> {
  const db = await openDatabase({ mode: 'local', path, allowedExtensions });
  await db.exec(SEARCH_SCHEMA);
  return db;
}

/** Is FTS5 compiled into this engine? */
export function hasFts5(db: Database): boolean {
  return db
    .all<{ compile_options: string }>('PRAGMA compile_options')
    .some((r) => r.compile_options === 'ENABLE_FTS5');
}

export async function addArticle(db: Database, title: string, body: string): Promise<number> {
  const { lastInsertRowid } = await db.run('INSERT INTO article(title, body) VALUES (?, ?)', [title, body]);
  return Number(lastInsertRowid);
}

/**
 * Turns user input into a safe FTS5 query: every word becomes a quoted prefix term, so
 * operators and quotes typed by the user cannot produce a syntax error.
 * @example toMatchQuery('replic sync') // '"replic"* "sync"*'
 */
export function toMatchQuery(input: string): string {
  const words = input.match(/[\p{L}\p{N}_]+/gu) ?? [];
  return words.map((w) => `"${w}"*`).join(' ');
}

export function search(db: Database, input: string, limit = 10): SearchHit[] {
  const match = toMatchQuery(input);
  if (match === '') return [];
  return db.all<SearchHit & Record<string, string | number>>(SEARCH_SQL, [match, limit]);
}

/** What a live search query depends on, as the server would derive it. */
export function searchReadSet(db: Database, input: string): ReadSet {
  return db.readSet(SEARCH_SQL, [toMatchQuery(input), 10]);
}
