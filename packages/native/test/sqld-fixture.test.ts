import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startSqld } from '../src/testing/index.ts';

describe('sqld fixture', () => {
  it('starts on free ports, executes SQL, restarts, and cleans up', async () => {
    let dataDir: string;
    {
      await using sqld = await startSqld();
      dataDir = sqld.dataDir;
      const health = await fetch(new URL('/health', sqld.url));
      expect(health.status).toBe(200);

      await sqld.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
      const insert = await sqld.execute('INSERT INTO t (v) VALUES (?)', ['a']);
      expect(insert.affectedRowCount).toBe(1);
      expect(insert.replicationIndex).toBeGreaterThan(0);

      await sqld.restart();
      const after = await sqld.execute('SELECT v FROM t');
      expect(after.rows).toEqual([['a']]);

      await sqld.restart({ signal: 'SIGKILL' });
      expect(sqld.running).toBe(true);
      const afterKill = await sqld.execute('SELECT count(*) FROM t');
      expect(afterKill.rows).toEqual([[1]]);
    }
    expect(existsSync(dataDir)).toBe(false);
  });

  it('reports SQL errors with the statement', async () => {
    await using sqld = await startSqld();
    await expect(sqld.execute('SELEC nonsense')).rejects.toThrow(/SELEC nonsense/);
  });
});
