import { describe, expect, it } from 'vitest';
import {
  normalizeReadSet,
  readSetOf,
  summarizeChanges,
  tableLevelSummary,
  tablesTouched,
} from '../src/index.ts';

describe('change summaries', () => {
  it('groups by lowercased table and keeps rowids', () => {
    const summary = summarizeChanges({
      changes: [
        { table: 'Users', op: 'insert', rowid: 1 },
        { table: 'users', op: 'update', rowid: 2 },
        { table: 'POSTS', op: 'delete', rowid: 3 },
      ],
    });
    expect([...summary.keys()]).toEqual(['users', 'posts']);
    expect(summary.get('users')).toEqual({ anyRow: false, rowids: new Set([1, 2]) });
  });

  it('a null rowid makes the table change table-level', () => {
    const summary = summarizeChanges({
      changes: [
        { table: 't', op: 'update', rowid: 1 },
        { table: 't', op: 'delete', rowid: null },
        { table: 't', op: 'insert', rowid: 2 },
      ],
    });
    expect(summary.get('t')).toEqual({ anyRow: true, rowids: new Set() });
  });

  it('collapses bulk changes to table level instead of keeping every rowid', () => {
    const changes = Array.from({ length: 11 }, (_, i) => ({ table: 't', op: 'insert' as const, rowid: i }));
    expect(summarizeChanges({ changes }, 10).get('t')?.anyRow).toBe(true);
    expect(summarizeChanges({ changes }, 11).get('t')?.anyRow).toBe(false);
  });

  it('tablesTouched applies rowid filters and table-level changes', () => {
    const readSet = readSetOf({ users: [7], posts: 'all' });
    const change = (table: string, rowid: number | null) =>
      summarizeChanges({ changes: [{ table, op: 'update', rowid }] });
    expect(tablesTouched(readSet, change('users', 8))).toEqual([]);
    expect(tablesTouched(readSet, change('USERS', 7))).toEqual(['users']);
    expect(tablesTouched(readSet, change('users', null))).toEqual(['users']);
    expect(tablesTouched(readSet, change('posts', 123))).toEqual(['posts']);
    expect(tablesTouched(readSet, change('tags', null))).toEqual([]);
    expect(tablesTouched(readSet, tableLevelSummary(['Users']))).toEqual(['users']);
  });

  it('normalizeReadSet merges duplicate spellings: all wins, rowids unite', () => {
    const merged = normalizeReadSet({
      tables: new Map([
        ['Users', { kind: 'rowids', rowids: new Set([1]) }],
        ['users', { kind: 'rowids', rowids: new Set([2]) }],
        ['Posts', { kind: 'rowids', rowids: new Set([1]) }],
        ['posts', { kind: 'all' }],
      ]),
    });
    expect(merged.tables.get('users')).toEqual({ kind: 'rowids', rowids: new Set([1, 2]) });
    expect(merged.tables.get('posts')).toEqual({ kind: 'all' });
  });
});
