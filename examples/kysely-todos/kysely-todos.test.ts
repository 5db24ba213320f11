import { describe, expect, it } from 'vitest';
import { tempDir } from '../shared/temp-dir.ts';
import { connectTodoClient } from '../shared/todo-client.ts';
import { type AppRouter, startTodoServer, tokenFor } from './todo-app.ts';

describe('kysely-todos', () => {
  it('keeps Kysely queries live: the list on every write, the point lookup only on its own row', async () => {
    using dir = tempDir('kysely-todos');
    await using server = await startTodoServer(dir.file('todos.db'));
    await using ann = connectTodoClient<AppRouter>(server.wsUrl, tokenFor('ann', 'acme'));
    await using bob = connectTodoClient<AppRouter>(server.wsUrl, tokenFor('bob', 'acme'));
    const first = await bob.trpc.todos.add.mutate({ title: 'pick a query builder' });
    await ann.watch({ list: 'todos.list', first: { path: 'todos.byId', input: { id: first.id } } });
    expect(await ann.trpc.todos.list.query()).toEqual([
      { id: first.id, title: 'pick a query builder', done: 0 },
    ]);

    const added = await bob.trpc.todos.add.mutate({ title: 'try Kysely' });
    const event = await ann.next();
    expect(event.id).toBe(added.frame);
    // A new row: the list is told, the point lookup of the first todo is not (its read-set is that row).
    expect(event.data).toMatchObject({ type: 'invalidate', queries: ['list'] });
    expect(await ann.trpc.todos.list.query()).toHaveLength(2);

    const { completed, frame } = await bob.trpc.todos.completeAll.mutate();
    expect(completed).toBe(2);
    const after = await ann.next();
    expect(after.id).toBe(frame);
    // Both rows changed: both queries are told.
    expect(after.data.type === 'invalidate' && [...after.data.queries].sort()).toEqual(['first', 'list']);
    expect((await ann.trpc.todos.list.query()).map((todo) => todo.done)).toEqual([1, 1]);
    expect(await ann.trpc.todos.byId.query({ id: first.id })).toEqual({
      id: first.id,
      title: 'pick a query builder',
      done: 1,
    });
  });
});
