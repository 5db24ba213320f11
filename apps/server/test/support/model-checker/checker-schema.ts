import type { Identity } from '@liveframe/server';

/**
 * The model checker's app schema: small id ranges (1..5) so a foreign key often equals an input
 * value, a UNIQUE column for REPLACE conflicts, a view, and the sentinel table the quiescence
 * barrier writes. Idempotent: every replica server runs it at start.
 */
export const CHECKER_SCHEMA = `
CREATE TABLE IF NOT EXISTS owners (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, sku TEXT UNIQUE, owner_id INTEGER, qty INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS ticks (id INTEGER PRIMARY KEY, n INTEGER NOT NULL);
CREATE VIEW IF NOT EXISTS item_owners AS
  SELECT i.id AS item_id, i.sku AS sku, i.qty AS qty, o.id AS owner_id, o.name AS owner_name
  FROM items i LEFT JOIN owners o ON o.id = i.owner_id;
`;

/** Ids the workload draws from (rows, foreign keys and inputs alike). */
export const ID_RANGE = 5;

/**
 * Start data, written once through the primary. Items 1, 3 and 5 belong to the owner with their
 * own id: a query following item 3's owner looks up owner 3, a value also in its input.
 */
export const SEED_STATEMENTS: readonly { sql: string; args: (string | number)[] }[] = [
  ...[1, 2, 3, 4, 5].map((id) => ({
    sql: 'INSERT INTO owners (id, name) VALUES (?, ?)',
    args: [id, `o${id}`],
  })),
  ...[
    [1, 's1', 1, 2],
    [2, 's2', 4, 4],
    [3, 's3', 3, 6],
    [4, 's4', 2, 8],
    [5, 's5', 5, 10],
  ].map((args) => ({ sql: 'INSERT INTO items (id, sku, owner_id, qty) VALUES (?, ?, ?, ?)', args })),
  { sql: 'INSERT INTO ticks (id, n) VALUES (1, 0)', args: [] },
];

/** Bearer tokens the checker's clients use; each is one identity. */
export const CHECKER_TOKENS = ['user-a', 'user-b', 'user-c'] as const;

export function checkerIdentity(token: string | undefined): Identity | null {
  if (token === undefined || !(CHECKER_TOKENS as readonly string[]).includes(token)) return null;
  return { userId: token, tenantId: 'mc', role: 'admin' };
}

/** The owner row an identity is bound to (queries "of the caller" read it). */
export function ownerOf(identity: Pick<Identity, 'userId'>): number {
  const index = (CHECKER_TOKENS as readonly string[]).indexOf(identity.userId);
  return index < 0 ? 0 : index + 1;
}
