import type { SqlValue } from './values.ts';

/**
 * Helpers for libSQL's native vector columns. Vectors travel as `F32_BLOB(n)` blobs: little-endian
 * float32s, which is exactly a Float32Array's memory, so no text round-trip through `vector32('[...]')`.
 */

/** Column type for an n-dimensional float32 vector. @example `embedding ${f32Blob(3)}` → 'F32_BLOB(3)' */
export function f32Blob(dimensions: number): string {
  if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > 65536) {
    throw new RangeError('vector dimensions must be an integer in 1..65536');
  }
  return `F32_BLOB(${dimensions})`;
}

/** Encodes a vector for binding into an F32_BLOB column. @example db.run('INSERT INTO docs(e) VALUES (?)', [toF32Blob([1, 0, 0])]) */
export function toF32Blob(vector: ArrayLike<number>): Uint8Array {
  const floats = Float32Array.from(vector);
  return new Uint8Array(floats.buffer, floats.byteOffset, floats.byteLength);
}

/** Decodes an F32_BLOB value read from the database. */
export function fromF32Blob(value: SqlValue): Float32Array {
  if (!(value instanceof Uint8Array) || value.byteLength % 4 !== 0) {
    throw new TypeError('expected an F32_BLOB value (Uint8Array with a multiple of 4 bytes)');
  }
  const copy = new Uint8Array(value);
  return new Float32Array(copy.buffer, 0, copy.byteLength / 4);
}

/** Distance functions libSQL provides for float vectors (checked against the engine in tests). */
export type VectorDistance = 'cos' | 'l2';

/** SQL for a vector index. @example vectorIndexSql('docs_e_idx', 'docs', 'e', { metric: 'cosine' }) */
export function vectorIndexSql(
  index: string,
  table: string,
  column: string,
  options: { metric?: 'cosine' | 'l2' } = {},
): string {
  const metric = options.metric === undefined ? '' : `, 'metric=${options.metric}'`;
  return `CREATE INDEX ${quoteIdent(index)} ON ${quoteIdent(table)}(libsql_vector_idx(${quoteIdent(column)}${metric}))`;
}

/**
 * SQL for the k nearest rows through the index (`vector_top_k` yields rowids); bind the query
 * vector (as an F32 blob) and k.
 * @example db.all(topKSql('docs_e_idx', 'docs', 'e'), [toF32Blob(q), 10])
 */
export function topKSql(
  index: string,
  table: string,
  column: string,
  distance: VectorDistance = 'cos',
): string {
  const t = quoteIdent(table);
  return `SELECT ${t}.*, vector_distance_${distance}(${t}.${quoteIdent(column)}, vector32(?1)) AS distance
    FROM vector_top_k('${index.replaceAll("'", "''")}', vector32(?1), ?2) AS top
    JOIN ${t} ON ${t}.rowid = top.id ORDER BY distance`;
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
