import { expect, it } from 'vitest';
import { openDatabase } from '../src/database.ts';
import { f32Blob, fromF32Blob, toF32Blob, topKSql, vectorIndexSql } from '../src/vector.ts';
import { tempDir } from './helpers/temp-dir.ts';

it('stores F32_BLOB vectors, offers cos/l2 distances, and vector_top_k agrees with brute force', async () => {
  using dir = tempDir();
  await using db = await openDatabase({ mode: 'local', path: dir.file('vec.db') });
  const dims = 16;
  await db.exec(`CREATE TABLE docs(id INTEGER PRIMARY KEY, e ${f32Blob(dims)})`);
  await db.exec(vectorIndexSql('docs_e_idx', 'docs', 'e', { metric: 'cosine' }));
  // Deterministic pseudo-random vectors.
  let seed = 42;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31 - 0.5;
  };
  const vectors: number[][] = [];
  await db.transaction(async (tx) => {
    for (let i = 1; i <= 3000; i++) {
      const v = Array.from({ length: dims }, rand);
      vectors.push(v);
      await tx.run('INSERT INTO docs(id, e) VALUES (?, ?)', [i, toF32Blob(v)]);
    }
  });
  // Round-trip and the engine's own functions.
  const stored = db.get<{ e: Uint8Array; text: string }>(
    'SELECT e, vector_extract(e) AS text FROM docs WHERE id = 1',
  )!;
  expect(Array.from(fromF32Blob(stored.e))).toEqual(Array.from(Float32Array.from(vectors[0]!)));
  expect(JSON.parse(stored.text)).toHaveLength(dims);
  const d = db.get<{ cos: number; l2: number }>(
    "SELECT vector_distance_cos(vector32('[1,0]'), vector32('[0,1]')) AS cos, vector_distance_l2(vector32('[0,0]'), vector32('[3,4]')) AS l2",
  )!;
  expect(d.cos).toBeCloseTo(1, 5);
  expect(d.l2).toBeCloseTo(5, 5);
  // Which other distance functions exist on this engine build (documented, not assumed).
  const available = [
    'vector_distance_dot',
    'vector_distance_l1',
    'vector_distance_jaccard',
    'vector_distance_hamming',
  ].filter((fn) => {
    try {
      db.get(`SELECT ${fn}(vector32('[1,2]'), vector32('[1,3]')) AS x`);
      return true;
    } catch {
      return false;
    }
  });
  // libsql 0.5.29 (SQLite 3.45.1 + libSQL) ships only cosine and L2 for float vectors.
  expect(available).toEqual([]);

  const query = Array.from({ length: dims }, rand);
  const k = 10;
  const cosine = (a: number[], b: number[]) => {
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let i = 0; i < a.length; i++) {
      dot += a[i]! * b[i]!;
      na += a[i]! ** 2;
      nb += b[i]! ** 2;
    }
    return 1 - dot / Math.sqrt(na * nb);
  };
  const brute = vectors
    .map((v, i) => ({ id: i + 1, distance: cosine(query, v) }))
    .sort((a, b) => a.distance - b.distance)
    .slice(0, k)
    .map((r) => r.id);
  const viaIndex = db
    .all<{ id: number }>(topKSql('docs_e_idx', 'docs', 'e'), [toF32Blob(query), k])
    .map((r) => r.id);
  expect(viaIndex).toHaveLength(k);
  // The index is approximate (DiskANN): require a high recall against the exact answer.
  const recall = viaIndex.filter((id) => brute.includes(id)).length / k;
  expect(recall).toBeGreaterThanOrEqual(0.8);
  // Exact brute force in SQL matches JS exactly.
  const exact = db
    .all<{ id: number }>('SELECT id FROM docs ORDER BY vector_distance_cos(e, vector32(?)) LIMIT ?', [
      toF32Blob(query),
      k,
    ])
    .map((r) => r.id);
  expect(exact).toEqual(brute);
});
