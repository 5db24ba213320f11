import { describe, expect, it } from 'vitest';
import type { ChangeOp, TableChange } from '../src/index.ts';
import { LiveQueryRegistry, readSetOf, summarizeChanges } from '../src/index.ts';

const change = (table: string, op: ChangeOp, rowid: number | null): TableChange => ({ table, op, rowid });
const match = (registry: LiveQueryRegistry, ...changes: TableChange[]) =>
  registry.match(summarizeChanges({ changes }));
const keys = (registry: LiveQueryRegistry, ...changes: TableChange[]) =>
  Object.fromEntries([...match(registry, ...changes)].map(([id, m]) => [id, [...m.queries].sort()]));

describe('LiveQueryRegistry', () => {
  it('matches table-level queries on any change to a table they read', () => {
    const registry = new LiveQueryRegistry();
    registry.register('a', 'posts', readSetOf({ posts: 'all' }));
    registry.register('a', 'users', readSetOf({ users: 'all' }));
    expect(keys(registry, change('posts', 'update', 5))).toEqual({ a: ['posts'] });
    expect(keys(registry, change('tags', 'update', 5))).toEqual({});
  });

  it('point lookups are invalidated only by their own rowids, or by an unknown rowid', () => {
    const registry = new LiveQueryRegistry();
    registry.register('a', 'user:7', readSetOf({ users: [7] }));
    for (const op of ['insert', 'update', 'delete'] as const) {
      expect(keys(registry, change('users', op, 8))).toEqual({});
      expect(keys(registry, change('users', op, 7))).toEqual({ a: ['user:7'] });
    }
    expect(keys(registry, change('users', 'delete', null))).toEqual({ a: ['user:7'] });
  });

  it('an insert of a not-yet-existing rowid invalidates the point lookup waiting for it', () => {
    // `WHERE id = 7` returned no row; inserting rowid 7 makes it return one. Capture reports the new
    // row's rowid, so this matches through the rowid index; inserts of other rowids cannot matter.
    const registry = new LiveQueryRegistry();
    registry.register('a', 'user:7', readSetOf({ users: [7] }));
    expect(keys(registry, change('users', 'insert', 8), change('users', 'insert', 9))).toEqual({});
    expect(keys(registry, change('users', 'insert', 7))).toEqual({ a: ['user:7'] });
  });

  it('is case-insensitive on table names on both sides', () => {
    const registry = new LiveQueryRegistry();
    registry.register('a', 'q', readSetOf({ Users: [1], POSTS: 'all' }));
    expect(keys(registry, change('USERS', 'update', 1))).toEqual({ a: ['q'] });
    expect(keys(registry, change('posts', 'update', 1))).toEqual({ a: ['q'] });
  });

  it('reports each query once per change set, with the tables that hit it, grouped by subscriber', () => {
    const registry = new LiveQueryRegistry();
    registry.register('a', 'feed', readSetOf({ posts: 'all', users: 'all' }));
    registry.register('a', 'user:1', readSetOf({ users: [1, 2] }));
    registry.register('b', 'feed', readSetOf({ posts: 'all', users: 'all' }));
    const result = match(
      registry,
      change('posts', 'insert', 1),
      change('posts', 'insert', 2),
      change('users', 'update', 1),
      change('users', 'update', 2),
    );
    expect([...(result.get('a')?.queries ?? [])].sort()).toEqual(['feed', 'user:1']);
    expect([...(result.get('a')?.tables ?? [])].sort()).toEqual(['posts', 'users']);
    expect(result.get('b')?.queries).toEqual(['feed']);
  });

  it('covers read-sets of joins, views, subqueries, CTEs and triggers (multi-table read-sets)', () => {
    // The read-set comes from db-core's EXPLAIN; whatever tables the engine opens are in it. A view
    // over posts+users, a subquery on tags, a CTE, or a trigger reading audit all look alike here.
    const registry = new LiveQueryRegistry();
    registry.register('a', 'view', readSetOf({ posts: 'all', users: 'all' }));
    registry.register('a', 'subquery', readSetOf({ posts: [3], tags: 'all' }));
    registry.register('a', 'trigger-write', readSetOf({ audit: 'all', posts: 'all' }));
    expect(keys(registry, change('users', 'update', 99))).toEqual({ a: ['view'] });
    expect(keys(registry, change('tags', 'insert', 1))).toEqual({ a: ['subquery'] });
    expect(keys(registry, change('audit', 'insert', 1))).toEqual({ a: ['trigger-write'] });
    expect(keys(registry, change('posts', 'update', 4))).toEqual({ a: ['trigger-write', 'view'] });
    expect(keys(registry, change('posts', 'update', 3))).toEqual({
      a: ['subquery', 'trigger-write', 'view'],
    });
  });

  it('re-registering a key replaces its read-set', () => {
    const registry = new LiveQueryRegistry();
    registry.register('a', 'q', readSetOf({ users: [1] }));
    registry.register('a', 'q', readSetOf({ users: [2] }));
    expect(registry.size).toBe(1);
    expect(keys(registry, change('users', 'update', 1))).toEqual({});
    expect(keys(registry, change('users', 'update', 2))).toEqual({ a: ['q'] });
  });

  it('unregistering removes every index slot', () => {
    const registry = new LiveQueryRegistry();
    registry.register('a', 'q1', readSetOf({ users: [1, 2], posts: 'all' }));
    registry.register('a', 'q2', readSetOf({ users: 'all' }));
    registry.register('b', 'q1', readSetOf({ users: [1] }));
    expect(registry.unregister('a', 'q1')).toBe(true);
    expect(registry.unregister('a', 'q1')).toBe(false);
    expect(keys(registry, change('posts', 'update', 1), change('users', 'update', 2))).toEqual({ a: ['q2'] });
    expect(registry.unregisterSubscriber('a')).toBe(1);
    expect(registry.unregisterSubscriber('b')).toBe(1);
    expect(registry.size).toBe(0);
    expect(registry.subscriberCount).toBe(0);
    expect(keys(registry, change('users', 'delete', null))).toEqual({});
  });

  it('matches a bulk change set against few point queries (walks the smaller side)', () => {
    const registry = new LiveQueryRegistry();
    registry.register('a', 'q', readSetOf({ t: [500] }));
    const changes = Array.from({ length: 1000 }, (_, i) => change('t', 'insert', i + 1));
    expect(keys(registry, ...changes)).toEqual({ a: ['q'] });
    expect(keys(registry, ...changes.slice(0, 499))).toEqual({});
  });
});
